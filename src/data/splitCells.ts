/**
 * Seeded cell sampling and disjoint splits. All randomness comes from the passed {@link Rng}.
 */
import { ScmixError } from '../errors.js';
import type { Rng } from './rng.js';

export interface CellSplit {
  /** sorted row indices; the three sets are disjoint and cover 0..n-1 */
  readonly train: Int32Array;
  readonly val: Int32Array;
  readonly test: Int32Array;
}

/**
 * `k` distinct cells of `n`, without replacement, returned sorted (so rows keep file order).
 * @throws CONFIG_INVALID when k is not an integer in 0..n.
 */
export function sampleCells(n: number, k: number, rng: Rng): Int32Array {
  if (!Number.isInteger(k) || k < 0 || k > n) throw new ScmixError('CONFIG_INVALID', `cannot sample ${k} cells out of ${n} without replacement`);
  return rng.sampleWithoutReplacement(n, k);
}

/**
 * Shuffles 0..n-1 with `rng`, then the first floor(n * train) are train, the next
 * floor(n * val) are val and the rest test (the scFM-dataselection `split_data` scheme), each
 * sorted ascending.
 * @throws CONFIG_INVALID for fractions outside [0, 1] or summing above 1.
 */
export function splitCells(n: number, rng: Rng, fractions: { train?: number; val?: number } = {}): CellSplit {
  const train = fractions.train ?? 0.8, val = fractions.val ?? 0.1;
  if (!(train >= 0 && val >= 0 && train + val <= 1 + 1e-12)) {
    throw new ScmixError('CONFIG_INVALID', `split fractions train=${train}, val=${val} must be >= 0 and sum to at most 1`);
  }
  const perm = rng.permutation(n);
  const nTrain = Math.floor(n * train);
  const nVal = Math.min(n - nTrain, Math.floor(n * val));
  const sorted = (a: Int32Array) => a.slice().sort();
  return {
    train: sorted(perm.subarray(0, nTrain)),
    val: sorted(perm.subarray(nTrain, nTrain + nVal)),
    test: sorted(perm.subarray(nTrain + nVal)),
  };
}
