/**
 * Counts handling for LDVAE training: input checks, the library-size prior, the seeded train /
 * validation split, per-epoch shuffled batches and the gather of batch rows into one reusable
 * CSR buffer (no allocation per step).
 */
import type { Backend, CsrView } from '../../engine/index.js';
import type { Csr } from '../../io/index.js';
import { Rng, assertCounts, deriveSeed } from '../../data/index.js';
import { ScmixError } from '../../errors.js';

/**
 * Counts must be finite, >= 0 and whole numbers (the data room's assertCounts; scvi only warns on
 * non-integers, but the NB likelihood's lgamma(x + 1) silently changes meaning, so scmix refuses
 * them). Returns the number of all-zero cells (allowed, as in scvi: log-library 0 in the prior).
 * @throws ScmixError INPUT_VALUE naming the source, cell, gene and value.
 */
export function checkCounts(X: Csr, source: string, cellNames?: readonly string[], geneNames?: readonly string[]): { emptyCells: number } {
  assertCounts(X, { source, obsNames: cellNames ? [...cellNames] : undefined, varNames: geneNames ? [...geneNames] : undefined, purpose: 'LDVAE training' });
  const { data, indptr } = X;
  let emptyCells = 0;
  for (let r = 0; r < X.nRows; r++) {
    let s = 0;
    for (let p = indptr[r]; p < indptr[r + 1]; p++) s += data[p];
    if (s === 0) emptyCells++;
  }
  return { emptyCells };
}

/**
 * scvi `_init_library_size` for one batch: mean and population variance (ddof 0) of log total
 * counts over ALL cells (train + validation); an empty cell contributes 0. Cast to float32.
 */
export function libraryPrior(X: Csr): { mean: number; variance: number } {
  const L = new Float64Array(X.nRows);
  for (let r = 0; r < X.nRows; r++) {
    let s = 0;
    for (let p = X.indptr[r]; p < X.indptr[r + 1]; p++) s += X.data[p];
    L[r] = s > 0 ? Math.log(s) : 0;
  }
  let m = 0;
  for (const v of L) m += v;
  m /= Math.max(1, L.length);
  let v2 = 0;
  for (const v of L) v2 += (v - m) * (v - m);
  return { mean: Math.fround(m), variance: Math.fround(v2 / Math.max(1, L.length)) };
}

/**
 * Seeded 90/10 split with scvi's sizes: nTrain = ceil(trainSize * N), nVal = N - nTrain,
 * perm = a permutation of 0..N-1, val = perm[0..nVal), train = perm[nVal..N). The permutation is
 * scmix's own (Fisher-Yates over Rng(deriveSeed(seed, 'ldvae-split'))), not numpy's
 * RandomState(seed).permutation, so the cells chosen differ from scvi's for the same seed.
 */
export function splitTrainValidation(N: number, trainSize: number, seed: number): { train: Int32Array; validation: Int32Array } {
  const nTrain = Math.ceil(trainSize * N);
  const nVal = N - nTrain;
  const perm = new Rng(deriveSeed(seed, 'ldvae-split')).permutation(N);
  return { validation: perm.slice(0, nVal), train: perm.slice(nVal) };
}

/**
 * Batch boundaries for one epoch over `n` shuffled cells: size `batchSize`, last one partial. A
 * final batch of ONE cell (BatchNorm cannot train on it; scvi 1.1.x crashes there) is merged into
 * the previous batch, which then has batchSize + 1 cells.
 */
export function batchBounds(n: number, batchSize: number): number[] {
  const starts: number[] = [];
  for (let s = 0; s < n; s += batchSize) starts.push(s);
  if (starts.length > 1 && n - starts[starts.length - 1] === 1) starts.pop();
  starts.push(n);
  return starts;
}

/** Cells of the training set in the order of `epoch` (reshuffled every epoch, seeded). */
export function epochOrder(train: Int32Array, seed: number, epoch: number): Int32Array {
  const order = Int32Array.from(train);
  return new Rng(deriveSeed(seed, 'ldvae-shuffle', epoch)).shuffle(order);
}

/** A reusable CSR buffer that batch rows are copied into (views start at 0). */
export interface BatchCsr {
  readonly capacityRows: number;
  readonly indptr: Int32Array;
  readonly indices: Int32Array;
  readonly values: Float32Array;
  /** log1p of values, filled by gather (encoder input; computed once per batch, not per kernel) */
  readonly logValues: Float32Array;
  /**
   * Copy rows `rows[from..to)` of X (rows null: rows from..to). Returns the counts view and the
   * log1p view (same structure), valid until the next gather.
   */
  gather(X: Csr, rows: ArrayLike<number> | null, from: number, to: number): CsrView;
  /** the log1p(counts) view of the last gather */
  readonly logView: CsrView;
}

/** Capacity = the largest possible nnz of `maxRows` rows of X (sum of the top row sizes). */
/** Free the buffers of a BatchCsr. */
export function freeBatchCsr(backend: Backend, b: BatchCsr): void {
  backend.free(b.indptr);
  backend.free(b.indices);
  backend.free(b.values);
  backend.free(b.logValues);
}

export function createBatchCsr(backend: Backend, X: Csr, maxRows: number): BatchCsr {
  const sizes = new Int32Array(X.nRows);
  for (let r = 0; r < X.nRows; r++) sizes[r] = X.indptr[r + 1] - X.indptr[r];
  sizes.sort();
  let cap = 0;
  for (let i = 0; i < Math.min(maxRows, sizes.length); i++) cap += sizes[sizes.length - 1 - i];
  const indptr = backend.allocI32(maxRows + 1);
  const indices = backend.allocI32(Math.max(1, cap));
  const values = backend.allocF32(Math.max(1, cap));
  const logValues = backend.allocF32(Math.max(1, cap));
  let logView: CsrView = { nRows: 0, nCols: X.nCols, indptr, indices, values: logValues };
  return {
    capacityRows: maxRows, indptr, indices, values, logValues,
    get logView() {
      return logView;
    },
    gather(Xs, rows, from, to) {
      let nnz = 0;
      indptr[0] = 0;
      for (let i = from; i < to; i++) {
        const r = rows ? rows[i] : i;
        const a = Xs.indptr[r];
        const b = Xs.indptr[r + 1];
        indices.set(Xs.indices.subarray(a, b), nnz);
        values.set(Xs.data.subarray(a, b), nnz);
        nnz += b - a;
        indptr[i - from + 1] = nnz;
      }
      // float32 log1p as torch.log1p on float32 input (one rounding; the backends read counts
      // below 4096 from a table of fround(Math.log1p(i))), on the engine's threads
      backend.unary('log1p', nnz, values, logValues);
      logView = { nRows: to - from, nCols: Xs.nCols, indptr, indices, values: logValues };
      return { nRows: to - from, nCols: Xs.nCols, indptr, indices, values };
    },
  };
}
