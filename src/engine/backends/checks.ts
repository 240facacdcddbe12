import { ScmixError } from '../../errors.js';
import type { CsrView } from '../backend.js';

/**
 * Argument checks shared by the backends. They are cheap (length comparisons only) and catch
 * the usual mistake of passing a buffer sized for another shape before a kernel writes out of bounds.
 */
export function need(kernel: string, name: string, arr: ArrayLike<number> | null | undefined, n: number): void {
  if (!arr) throw new ScmixError('SHAPE_MISMATCH', `${kernel}: ${name} is missing (needs ${n} elements)`);
  if (arr.length < n) {
    throw new ScmixError('SHAPE_MISMATCH', `${kernel}: ${name} has ${arr.length} elements, needs at least ${n}`);
  }
}

/** Non-negative integer dimensions. */
export function dims(kernel: string, d: Record<string, number>): void {
  for (const [k, v] of Object.entries(d)) {
    if (!Number.isInteger(v) || v < 0) throw new ScmixError('SHAPE_MISMATCH', `${kernel}: ${k} must be an integer >= 0, got ${v}`);
  }
}

/** A CSR view's structure against the expected row/column counts (indptr monotone, ends consistent). */
export function needCsr(kernel: string, A: CsrView, nRows: number, nCols: number): void {
  if (A.nRows !== nRows || A.nCols !== nCols) {
    throw new ScmixError('SHAPE_MISMATCH', `${kernel}: CSR is ${A.nRows}x${A.nCols}, expected ${nRows}x${nCols}`);
  }
  need(kernel, 'indptr', A.indptr, nRows + 1);
  const nnz = A.indptr[nRows] - A.indptr[0];
  need(kernel, 'indices', A.indices, A.indptr[nRows]);
  need(kernel, 'values', A.values, A.indptr[nRows]);
  if (nnz < 0) throw new ScmixError('SHAPE_MISMATCH', `${kernel}: CSR indptr is decreasing`);
}

/** The shape contract of Backend.nbLossRows, shared by every backend. */
export function checkNbLossRows(B: number, G: number, logits: ArrayLike<number>, logLib: ArrayLike<number>, pxR: ArrayLike<number>, x: CsrView,
  rec: ArrayLike<number>, dLogits: ArrayLike<number> | null, dLogLib: ArrayLike<number> | null, dPxR: ArrayLike<number> | null, rhoOut?: ArrayLike<number> | null): void {
  dims('nbLossRows', { B, G });
  need('nbLossRows', 'logits', logits, B * G);
  need('nbLossRows', 'logLib', logLib, B);
  need('nbLossRows', 'pxR', pxR, G);
  need('nbLossRows', 'rec', rec, B);
  needCsr('nbLossRows', x, B, G);
  if (dLogits) need('nbLossRows', 'dLogits', dLogits, B * G);
  if (dLogLib) need('nbLossRows', 'dLogLib', dLogLib, B);
  if (dPxR) need('nbLossRows', 'dPxR', dPxR, G);
  if (rhoOut) need('nbLossRows', 'rhoOut', rhoOut, B * G);
}

/** The shape contract of Backend.transposeCsr; returns A's nonzero count. */
export function checkTransposeCsr(A: CsrView, indptr: ArrayLike<number>, indices: ArrayLike<number>, values: ArrayLike<number>): number {
  needCsr('transposeCsr', A, A.nRows, A.nCols);
  const nnz = A.indptr[A.nRows] - A.indptr[0];
  need('transposeCsr', 'indptr', indptr, A.nCols + 1);
  need('transposeCsr', 'indices', indices, nnz);
  need('transposeCsr', 'values', values, nnz);
  return nnz;
}

/** The shape contract of Backend.linearBatchNormFold. */
export function checkLinearBatchNormFold(N: number, K: number, W: ArrayLike<number>, xMean: ArrayLike<number>, xCov: ArrayLike<number>, gamma: ArrayLike<number>,
  beta: ArrayLike<number>, Wf: ArrayLike<number>, bf: ArrayLike<number>, mean: ArrayLike<number>, variance: ArrayLike<number>, invStd: ArrayLike<number>): void {
  const k = 'linearBatchNormFold';
  dims(k, { N, K });
  need(k, 'W', W, N * K);
  need(k, 'Wf', Wf, N * K);
  need(k, 'xMean', xMean, K);
  need(k, 'xCov', xCov, K * K);
  for (const [name, a] of [['gamma', gamma], ['beta', beta], ['bf', bf], ['mean', mean], ['variance', variance], ['invStd', invStd]] as const) need(k, name, a, N);
}

export function badOp(kernel: string, op: string): never {
  throw new ScmixError('INTERNAL', `${kernel}: unsupported op '${op}'`);
}
