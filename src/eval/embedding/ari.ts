import { contingency } from './contingency.js';

/**
 * Adjusted Rand index (Hubert & Arabie), scib's native formula:
 * (Σ C2(n_ij) − E) / ((Σ C2(a_i) + Σ C2(b_j)) / 2 − E), E = Σ C2(a_i) Σ C2(b_j) / C2(n).
 * Identical labelings up to renaming -> 1 (also when the denominator vanishes, as sklearn).
 */
export function ari<T, U>(a: ArrayLike<T>, b: ArrayLike<U>): number {
  const c = contingency(a, b);
  const c2 = (x: number) => (x * (x - 1)) / 2;
  let index = 0;
  for (const x of c.cells) index += c2(x);
  let sa = 0;
  for (const x of c.a) sa += c2(x);
  let sb = 0;
  for (const x of c.b) sb += c2(x);
  const expected = c.n > 1 ? (sa * sb) / c2(c.n) : 0;
  const max = (sa + sb) / 2;
  if (max === expected) return 1;
  return (index - expected) / (max - expected);
}
