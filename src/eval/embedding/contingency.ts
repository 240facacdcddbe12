/**
 * Contingency table of two labelings of the same cells; the shared base of NMI and ARI.
 * Labels are any values compared with ===; classes are numbered by first appearance.
 */
export interface Contingency {
  readonly n: number;
  /** [nA] row margins */
  readonly a: Float64Array;
  /** [nB] column margins */
  readonly b: Float64Array;
  /** non-zero cells n_ij */
  readonly cells: Float64Array;
}

/** Integer codes 0..k-1 for arbitrary labels (first appearance order). */
export function encodeLabels<T>(labels: ArrayLike<T>): { codes: Int32Array; k: number } {
  const map = new Map<T, number>();
  const codes = new Int32Array(labels.length);
  for (let i = 0; i < labels.length; i++) {
    let c = map.get(labels[i]);
    if (c === undefined) {
      c = map.size;
      map.set(labels[i], c);
    }
    codes[i] = c;
  }
  return { codes, k: map.size };
}

/** @throws RangeError when the labelings differ in length */
export function contingency<T, U>(x: ArrayLike<T>, y: ArrayLike<U>): Contingency {
  if (x.length !== y.length) throw new RangeError(`labelings of different lengths: ${x.length} vs ${y.length}`);
  const ex = encodeLabels(x);
  const ey = encodeLabels(y);
  const a = new Float64Array(ex.k);
  const b = new Float64Array(ey.k);
  const joint = new Map<number, number>();
  for (let i = 0; i < x.length; i++) {
    a[ex.codes[i]]++;
    b[ey.codes[i]]++;
    const key = ex.codes[i] * ey.k + ey.codes[i];
    joint.set(key, (joint.get(key) ?? 0) + 1);
  }
  return { n: x.length, a, b, cells: Float64Array.from(joint.values()) };
}
