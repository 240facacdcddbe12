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

type Arr = ArrayLike<number>;

/** need() for each named array against the same length, in the given order (the first short one is reported). */
function needEach(kernel: string, n: number, arrays: Record<string, Arr | null | undefined>): void {
  for (const [name, a] of Object.entries(arrays)) need(kernel, name, a, n);
}

// One shape contract per Backend kernel, called by every backend, so that a bad call fails with the
// same code and message whichever backend runs it.

export function checkGemm(M: number, N: number, K: number, A: Arr, B: Arr, C: Arr): void {
  dims('gemm', { M, N, K });
  need('gemm', 'A', A, M * K);
  need('gemm', 'B', B, K * N);
  need('gemm', 'C', C, M * N);
}

export function checkAddRowVector(M: number, N: number, X: Arr, bias: Arr): void {
  need('addRowVector', 'X', X, M * N);
  need('addRowVector', 'bias', bias, N);
}

export function checkSumRows(M: number, N: number, X: Arr, out: Arr): void {
  need('sumRows', 'X', X, M * N);
  need('sumRows', 'out', out, N);
}

export function checkSpmm(A: CsrView, N: number, B: Arr, C: Arr): void {
  needCsr('spmm', A, A.nRows, A.nCols);
  need('spmm', 'B', B, A.nCols * N);
  need('spmm', 'C', C, A.nRows * N);
}

export function checkSpmmT(A: CsrView, N: number, D: Arr, C: Arr): void {
  needCsr('spmmT', A, A.nRows, A.nCols);
  need('spmmT', 'D', D, A.nRows * N);
  need('spmmT', 'C', C, A.nCols * N);
}

export function checkSpmmAdam(A: CsrView, N: number, D: Arr, param: Arr, m: Arr, v: Arr, grad: Arr | null | undefined): void {
  needCsr('spmmAdam', A, A.nRows, A.nCols);
  need('spmmAdam', 'D', D, A.nCols * N);
  needEach('spmmAdam', A.nRows * N, grad ? { param, m, v, grad } : { param, m, v });
}

export function checkUnary(n: number, x: Arr, out: Arr): void {
  needEach('unary', n, { x, out });
}

export function checkBinary(n: number, a: Arr, b: Arr, out: Arr): void {
  needEach('binary', n, { a, b, out });
}

export function checkAxpby(n: number, x: Arr, y: Arr, out: Arr): void {
  needEach('axpby', n, { x, y, out });
}

export function checkFill(n: number, out: Arr): void {
  need('fill', 'out', out, n);
}

export function checkUnaryBackward(n: number, x: Arr, dy: Arr, dx: Arr): void {
  needEach('unaryBackward', n, { x, dy, dx });
}

export function checkDropout(n: number, x: Arr, out: Arr, mask: Arr | null | undefined): void {
  needEach('dropout', n, mask ? { x, out, mask } : { x, out });
}

/** sum and sumSquares share one contract. */
export function checkSum(kernel: 'sum' | 'sumSquares', n: number, x: Arr): void {
  need(kernel, 'x', x, n);
}

export function checkAdamStep(n: number, param: Arr, grad: Arr, m: Arr, v: Arr): void {
  needEach('adamStep', n, { param, grad, m, v });
}

export function checkAdamSteps(tensors: readonly { param: Arr; grad: Arr; m: Arr; v: Arr }[]): void {
  for (const t of tensors) needEach('adamSteps', t.param.length, { param: t.param, grad: t.grad, m: t.m, v: t.v });
}

export function checkBatchNormForward(M: number, N: number, x: Arr, gamma: Arr, beta: Arr, out: Arr, mean: Arr, invStd: Arr): void {
  needEach('batchNormForward', M * N, { x, out });
  needEach('batchNormForward', N, { gamma, beta, mean, invStd });
}

export function checkBatchNormInference(M: number, N: number, x: Arr, gamma: Arr, beta: Arr, runningMean: Arr, runningVar: Arr, out: Arr): void {
  needEach('batchNormInference', M * N, { x, out });
  needEach('batchNormInference', N, { gamma, beta, runningMean, runningVar });
}

export function checkBatchNormBackward(M: number, N: number, x: Arr, dy: Arr, gamma: Arr, mean: Arr, invStd: Arr, dx: Arr, dgamma: Arr, dbeta: Arr): void {
  needEach('batchNormBackward', M * N, { x, dy, dx });
  needEach('batchNormBackward', N, { gamma, mean, invStd, dgamma, dbeta });
}

export function checkLayerNormForward(M: number, N: number, x: Arr, gamma: Arr, beta: Arr, out: Arr, mean: Arr, invStd: Arr): void {
  needEach('layerNormForward', M * N, { x, out });
  needEach('layerNormForward', N, { gamma, beta });
  needEach('layerNormForward', M, { mean, invStd });
}

export function checkLayerNormBackward(M: number, N: number, x: Arr, dy: Arr, mean: Arr, invStd: Arr, dx: Arr): void {
  needEach('layerNormBackward', M * N, { x, dy, dx });
  needEach('layerNormBackward', M, { mean, invStd });
}

/** softmaxRows and logSoftmaxRows share one contract. */
export function checkSoftmaxRows(kernel: 'softmaxRows' | 'logSoftmaxRows', M: number, N: number, x: Arr, out: Arr): void {
  needEach(kernel, M * N, { x, out });
}

export function checkSoftmaxRowsBackward(M: number, N: number, y: Arr, dy: Arr, dx: Arr): void {
  needEach('softmaxRowsBackward', M * N, { y, dy, dx });
}

export function checkCrossEntropyRows(M: number, N: number, logits: Arr, targets: Arr, dlogits: Arr): void {
  need('crossEntropyRows', 'logits', logits, M * N);
  need('crossEntropyRows', 'targets', targets, M);
  need('crossEntropyRows', 'dlogits', dlogits, M * N);
}

/** Also every id against the table's rows, before anything is written. */
export function checkGatherRows(n: number, D: number, table: Arr, ids: Arr, out: Arr): void {
  need('gatherRows', 'ids', ids, n);
  need('gatherRows', 'out', out, n * D);
  checkIds('gatherRows', n, ids, D > 0 ? Math.floor(table.length / D) : 0);
}

/** Also every id against the table's rows, before anything is written. */
export function checkScatterAddRows(n: number, D: number, dout: Arr, ids: Arr, dtable: Arr): void {
  need('scatterAddRows', 'ids', ids, n);
  need('scatterAddRows', 'dout', dout, n * D);
  checkIds('scatterAddRows', n, ids, D > 0 ? Math.floor(dtable.length / D) : 0);
}

function checkIds(kernel: string, n: number, ids: Arr, rows: number): void {
  for (let i = 0; i < n; i++) {
    const r = ids[i];
    if (r < 0 || r >= rows) throw new ScmixError('INPUT_VALUE', `${kernel}: id ${r} at ${i} is outside 0..${rows - 1}`);
  }
}

export function checkAttentionForward(B: number, T: number, H: number, Dh: number, q: Arr, k: Arr, v: Arr, lengths: Arr, out: Arr, lse: Arr): void {
  dims('attentionForward', { B, T, H, Dh });
  needEach('attentionForward', B * T * H * Dh, { q, k, v, out });
  need('attentionForward', 'lengths', lengths, B);
  need('attentionForward', 'lse', lse, B * H * T);
}

export function checkAttentionBackward(B: number, T: number, H: number, Dh: number, q: Arr, k: Arr, v: Arr, lengths: Arr, out: Arr, lse: Arr,
  dout: Arr, dq: Arr, dk: Arr, dv: Arr): void {
  dims('attentionBackward', { B, T, H, Dh });
  needEach('attentionBackward', B * T * H * Dh, { q, k, v, out, dout, dq, dk, dv });
  need('attentionBackward', 'lengths', lengths, B);
  need('attentionBackward', 'lse', lse, B * H * T);
}

export function badOp(kernel: string, op: string): never {
  throw new ScmixError('INTERNAL', `${kernel}: unsupported op '${op}'`);
}
