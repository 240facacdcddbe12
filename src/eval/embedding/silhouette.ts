import { encodeLabels } from './contingency.js';

/**
 * Euclidean silhouette per cell, as sklearn `silhouette_samples`: s = (b − a) / max(a, b), a = mean
 * distance to the other members of the cell's label, b = the smallest mean distance to another
 * label; 0 for cells whose label has a single member. Exact O(N² D).
 * @param x [N, D] row-major embedding
 * @returns [N] silhouettes
 * @throws RangeError when fewer than 2 labels are present (silhouette undefined)
 */
export function silhouetteSamples<T>(x: ArrayLike<number>, n: number, d: number, labels: ArrayLike<T>): Float64Array {
  if (labels.length !== n || x.length !== n * d) throw new RangeError(`silhouette: ${n} cells, ${labels.length} labels, ${x.length} values for D=${d}`);
  const { codes, k } = encodeLabels(labels);
  if (k < 2 || k > n - 1) throw new RangeError(`silhouette needs 2..n-1 labels, got ${k} for ${n} cells`);
  const size = new Float64Array(k);
  for (let i = 0; i < n; i++) size[codes[i]]++;
  // sums[i * k + c] = sum of distances from i to members of c
  const sums = new Float64Array(n * k);
  const xf = Float64Array.from(x as ArrayLike<number>);
  for (let i = 0; i < n; i++) {
    const oi = i * d;
    const ci = codes[i];
    for (let j = i + 1; j < n; j++) {
      const oj = j * d;
      let s = 0;
      for (let t = 0; t < d; t++) {
        const u = xf[oi + t] - xf[oj + t];
        s += u * u;
      }
      const dist = Math.sqrt(s);
      sums[i * k + codes[j]] += dist;
      sums[j * k + ci] += dist;
    }
  }
  const out = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    const ci = codes[i];
    if (size[ci] <= 1) continue;
    const a = sums[i * k + ci] / (size[ci] - 1);
    let b = Infinity;
    for (let c = 0; c < k; c++) if (c !== ci && size[c] > 0) b = Math.min(b, sums[i * k + c] / size[c]);
    const m = Math.max(a, b);
    out[i] = m > 0 ? (b - a) / m : 0;
  }
  return out;
}

/** Mean silhouette over cells (sklearn `silhouette_score`, euclidean). */
export function silhouetteScore<T>(x: ArrayLike<number>, n: number, d: number, labels: ArrayLike<T>): number {
  const s = silhouetteSamples(x, n, d, labels);
  let t = 0;
  for (const v of s) t += v;
  return t / n;
}

/**
 * scib `silhouette_batch`: within each label group with 1 < #batches < #cells, per-cell batch
 * silhouettes s_i -> 1 − |s_i|, averaged per group, then over groups. High = batches mixed.
 * @returns NaN when no group qualifies
 */
export function silhouetteBatch<T, U>(x: ArrayLike<number>, n: number, d: number, labels: ArrayLike<T>, batches: ArrayLike<U>): number {
  const groups = new Map<T, number[]>();
  for (let i = 0; i < n; i++) {
    const g = groups.get(labels[i]);
    if (g) g.push(i);
    else groups.set(labels[i], [i]);
  }
  let total = 0;
  let used = 0;
  for (const rows of groups.values()) {
    const nb = new Set(rows.map((i) => batches[i])).size;
    if (nb <= 1 || nb >= rows.length) continue;
    const sub = new Float64Array(rows.length * d);
    rows.forEach((r, i) => {
      for (let t = 0; t < d; t++) sub[i * d + t] = x[r * d + t];
    });
    const s = silhouetteSamples(sub, rows.length, d, rows.map((i) => batches[i]));
    let m = 0;
    for (const v of s) m += 1 - Math.abs(v);
    total += m / rows.length;
    used++;
  }
  return used ? total / used : NaN;
}
