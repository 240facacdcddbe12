import { contingency } from './contingency.js';

/**
 * Normalized mutual information with the arithmetic mean of the entropies, as sklearn's
 * `normalized_mutual_info_score(a, b, average_method="arithmetic")`: MI / ((H(a) + H(b)) / 2).
 * Both labelings with a single class -> 1; MI = 0 -> 0.
 */
export function nmi<T, U>(a: ArrayLike<T>, b: ArrayLike<U>): number {
  const c = contingency(a, b);
  if (c.a.length === c.b.length && (c.a.length === 1 || c.a.length === 0)) return 1;
  const n = c.n;
  let mi = 0;
  for (const nij of c.cells) mi += (nij / n) * Math.log(nij);
  // sum_ij p_ij (log n_ij - log a_i - log b_j + log n), with the margin terms summed separately
  const h = (m: Float64Array) => {
    let s = 0;
    for (const x of m) if (x > 0) s -= (x / n) * Math.log(x / n);
    return s;
  };
  const ha = h(c.a);
  const hb = h(c.b);
  // sum_ij p_ij log a_i = sum_i p_i log a_i
  let la = 0;
  for (const x of c.a) la += (x / n) * Math.log(x);
  let lb = 0;
  for (const x of c.b) lb += (x / n) * Math.log(x);
  mi = Math.max(0, mi - la - lb + Math.log(n));
  if (mi === 0) return 0;
  return mi / ((ha + hb) / 2);
}
