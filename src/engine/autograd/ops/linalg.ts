import { Tensor } from '../tensor.js';
import type { Tape } from '../tape.js';

function shapeError(msg: string): never {
  throw new RangeError(msg);
}

/**
 * C = op(A) @ op(B) for matrices. A is [M, K] (stored [K, M] when transA), B is [K, N] (stored
 * [N, K] when transB). Tensors with more than 2 dims are read as [rows, last].
 */
export function matmul(t: Tape, a: Tensor, b: Tensor, opts: { transA?: boolean; transB?: boolean } = {}): Tensor {
  const tA = opts.transA ?? false;
  const tB = opts.transB ?? false;
  const M = tA ? a.cols : a.rows;
  const K = tA ? a.rows : a.cols;
  const Kb = tB ? b.cols : b.rows;
  const N = tB ? b.rows : b.cols;
  if (K !== Kb) shapeError(`matmul: inner dims differ (${K} vs ${Kb}) for [${a.shape}]${tA ? 'ᵀ' : ''} @ [${b.shape}]${tB ? 'ᵀ' : ''}`);
  const be = t.backend;
  const out = t.output([M, N], [a, b]);
  be.gemm(tA, tB, M, N, K, 1, a.data, b.data, 0, out.data);
  t.record(out, () => {
    const dC = t.gradOf(out)!;
    const dA = t.gradOf(a);
    const dB = t.gradOf(b);
    if (dA) {
      // dA = dC op(B)ᵀ, or its transpose when A is stored transposed
      if (!tA) be.gemm(false, !tB, M, K, N, 1, dC, b.data, 1, dA);
      else be.gemm(tB, true, K, M, N, 1, b.data, dC, 1, dA);
    }
    if (dB) {
      // dB = op(A)ᵀ dC, or its transpose when B is stored transposed
      if (!tB) be.gemm(!tA, false, K, N, M, 1, a.data, dC, 1, dB);
      else be.gemm(true, tA, N, K, M, 1, dC, a.data, 1, dB);
    }
  });
  return out;
}

/**
 * Linear layer as torch: y[M, out] = x[M, in] @ Wᵀ + b with W stored [out, in] and b [out]
 * (b may be null). Leading dims of x are kept: [B, T, in] -> [B, T, out].
 */
export function linear(t: Tape, x: Tensor, w: Tensor, b: Tensor | null): Tensor {
  const [nOut, nIn] = w.shape;
  if (x.cols !== nIn) shapeError(`linear: input width ${x.cols} does not match weight [${w.shape}]`);
  if (b && b.size !== nOut) shapeError(`linear: bias of ${b.size} for ${nOut} outputs`);
  const M = x.rows;
  const be = t.backend;
  const out = t.output([...x.shape.slice(0, -1), nOut], b ? [x, w, b] : [x, w]);
  be.gemm(false, true, M, nOut, nIn, 1, x.data, w.data, 0, out.data);
  if (b) be.addRowVector(M, nOut, out.data, b.data);
  t.record(out, () => {
    const dy = t.gradOf(out)!;
    const dx = t.gradOf(x);
    const dw = t.gradOf(w);
    const db = b ? t.gradOf(b) : null;
    if (dx) be.gemm(false, false, M, nIn, nOut, 1, dy, w.data, 1, dx);
    if (dw) be.gemm(true, false, nOut, nIn, M, 1, dy, x.data, 1, dw);
    if (db) be.sumRows(M, nOut, dy, 1, db);
  });
  return out;
}
