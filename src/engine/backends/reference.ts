/**
 * The reference backend: every Backend kernel as plain loops with float64 accumulators. It is the
 * living definition of the kernels; the WASM backend is tested against it. Slow by design.
 */
import { hashUniform } from '../../data/rng.js';
import type { Backend, BinaryOp, CsrView, F32, I32, UnaryOp } from '../backend.js';
import {
  badOp, checkAddRowVector, checkAdamStep, checkAxpby, checkBinary, checkDropout, checkFill, checkGemm, checkSpmm, checkSpmmT, checkSum, checkSumRows,
  checkTransposeCsr, checkUnary, checkUnaryBackward,
} from './checks.js';
import * as nn from './referenceNn.js';
import { digamma, gelu, geluGrad, lgamma, sigmoid, softplus, trigamma } from './special.js';

/** Forward value of a unary op in float64. */
export function unaryValue(op: UnaryOp, x: number): number {
  switch (op) {
    case 'exp': return Math.exp(x);
    case 'log': return Math.log(x);
    case 'log1p': return Math.log1p(x);
    case 'expm1': return Math.expm1(x);
    case 'sqrt': return Math.sqrt(x);
    case 'rsqrt': return 1 / Math.sqrt(x);
    case 'neg': return -x;
    case 'abs': return Math.abs(x);
    case 'square': return x * x;
    case 'sigmoid': return sigmoid(x);
    case 'softplus': return softplus(x);
    case 'tanh': return Math.tanh(x);
    case 'relu': return x > 0 ? x : 0;
    case 'gelu': return gelu(x);
    case 'lgamma': return lgamma(x);
    case 'digamma': return digamma(x);
    default: return badOp('unary', op);
  }
}

/** Derivative f'(x) of a unary op in float64 (x = forward input). */
export function unaryDerivative(op: UnaryOp, x: number): number {
  switch (op) {
    case 'exp': return Math.exp(x);
    case 'log': return 1 / x;
    case 'log1p': return 1 / (1 + x);
    case 'expm1': return Math.exp(x);
    case 'sqrt': return 0.5 / Math.sqrt(x);
    case 'rsqrt': return -0.5 / (x * Math.sqrt(x));
    case 'neg': return -1;
    case 'abs': return x > 0 ? 1 : x < 0 ? -1 : 0;
    case 'square': return 2 * x;
    case 'sigmoid': return sigmoid(x) * sigmoid(-x); // s(1-s) without cancellation
    case 'softplus': return sigmoid(x);
    case 'tanh': { const c = Math.cosh(x); return 1 / (c * c); } // sech^2, exact for large |x|
    case 'relu': return x > 0 ? 1 : 0;
    case 'gelu': return geluGrad(x);
    case 'lgamma': return digamma(x);
    case 'digamma': return trigamma(x);
    default: return badOp('unaryBackward', op);
  }
}

function binaryValue(op: BinaryOp, a: number, b: number): number {
  switch (op) {
    case 'add': return a + b;
    case 'sub': return a - b;
    case 'mul': return a * b;
    case 'div': return a / b;
    case 'max': return Math.max(a, b);
    case 'min': return Math.min(a, b);
    default: return badOp('binary', op);
  }
}

/**
 * Dropout scale as float32, shared by all backends so that outputs are bit-identical:
 * out = fround(x * fround(1 / (1 - p))) where kept.
 */
export function dropoutScale(p: number): number {
  return p >= 1 ? 0 : Math.fround(1 / (1 - p));
}

/** Creates a reference backend. Buffers are ordinary typed arrays; memoryStats counts live allocations. */
export function referenceBackend(): Backend {
  const live = new WeakMap<F32 | I32, number>();
  let allocated = 0;
  let peak = 0;
  const track = <T extends F32 | I32>(buf: T): T => {
    live.set(buf, buf.byteLength);
    allocated += buf.byteLength;
    peak = Math.max(peak, allocated);
    return buf;
  };

  const backend: Backend = {
    name: 'reference',
    threads: 1,

    allocF32: (n) => track(new Float32Array(n)),
    allocI32: (n) => track(new Int32Array(n)),
    free(buf) {
      const bytes = live.get(buf);
      if (bytes !== undefined) {
        live.delete(buf);
        allocated -= bytes;
      }
    },
    memoryStats: () => ({ allocatedBytes: allocated, peakBytes: peak, heapBytes: allocated }),

    gemm(transA, transB, M, N, K, alpha, A, B, beta, C) {
      checkGemm(M, N, K, A, B, C);
      for (let i = 0; i < M; i++) {
        for (let j = 0; j < N; j++) {
          let acc = 0;
          for (let k = 0; k < K; k++) {
            const a = transA ? A[k * M + i] : A[i * K + k];
            const b = transB ? B[j * K + k] : B[k * N + j];
            acc += a * b;
          }
          // beta = 0 must overwrite (C may hold NaN garbage), so it is not multiplied in.
          C[i * N + j] = beta === 0 ? alpha * acc : alpha * acc + beta * C[i * N + j];
        }
      }
    },

    addRowVector(M, N, X, bias) {
      checkAddRowVector(M, N, X, bias);
      for (let i = 0; i < M; i++) for (let j = 0; j < N; j++) X[i * N + j] += bias[j];
    },

    sumRows(M, N, X, beta, out) {
      checkSumRows(M, N, X, out);
      for (let j = 0; j < N; j++) {
        let acc = 0;
        for (let i = 0; i < M; i++) acc += X[i * N + j];
        out[j] = beta === 0 ? acc : beta * out[j] + acc;
      }
    },

    spmm(A, N, B, beta, C, valueOp = 'identity') {
      checkSpmm(A, N, B, C);
      const acc = new Float64Array(N);
      for (let i = 0; i < A.nRows; i++) {
        acc.fill(0);
        for (let p = A.indptr[i]; p < A.indptr[i + 1]; p++) {
          const v = csrValue(A, p, valueOp);
          const k = A.indices[p];
          for (let j = 0; j < N; j++) acc[j] += v * B[k * N + j];
        }
        for (let j = 0; j < N; j++) C[i * N + j] = beta === 0 ? acc[j] : beta * C[i * N + j] + acc[j];
      }
    },

    spmmT(A, N, D, beta, C, valueOp = 'identity') {
      checkSpmmT(A, N, D, C);
      const acc = new Float64Array(A.nCols * N);
      for (let i = 0; i < A.nRows; i++) {
        for (let p = A.indptr[i]; p < A.indptr[i + 1]; p++) {
          const v = csrValue(A, p, valueOp);
          const k = A.indices[p];
          for (let j = 0; j < N; j++) acc[k * N + j] += v * D[i * N + j];
        }
      }
      for (let t = 0; t < A.nCols * N; t++) C[t] = beta === 0 ? acc[t] : beta * C[t] + acc[t];
    },

    spmmAdam(A, N, D, param, m, v, lr, beta1, beta2, eps, weightDecay, decoupled, step, grad) {
      const C = grad ?? new Float32Array(A.nRows * N);
      backend.spmm(A, N, D, 0, C);
      backend.adamStep(A.nRows * N, param, C, m, v, lr, beta1, beta2, eps, weightDecay, decoupled, step);
    },

    transposeCsr(A, indptr, indices, values) {
      const nnz = checkTransposeCsr(A, indptr, indices, values), p0 = A.indptr[0];
      indptr.fill(0, 0, A.nCols + 1);
      for (let p = p0; p < p0 + nnz; p++) indptr[A.indices[p] + 1]++;
      for (let k = 0; k < A.nCols; k++) indptr[k + 1] += indptr[k];
      const next = indptr.slice(0, A.nCols);
      for (let i = 0; i < A.nRows; i++) {
        for (let p = A.indptr[i]; p < A.indptr[i + 1]; p++) {
          const q = next[A.indices[p]]++;
          indices[q] = i;
          values[q] = A.values[p];
        }
      }
      return { nRows: A.nCols, nCols: A.nRows, indptr, indices, values };
    },

    unary(op, n, x, out) {
      checkUnary(n, x, out);
      for (let i = 0; i < n; i++) out[i] = unaryValue(op, x[i]);
    },

    binary(op, n, a, b, out) {
      checkBinary(n, a, b, out);
      for (let i = 0; i < n; i++) out[i] = binaryValue(op, a[i], b[i]);
    },

    axpby(n, a, x, b, y, out) {
      checkAxpby(n, x, y, out);
      for (let i = 0; i < n; i++) out[i] = a * x[i] + b * y[i];
    },

    fill(n, value, out) {
      checkFill(n, out);
      out.fill(value, 0, n);
    },

    unaryBackward(op, n, x, dy, dx) {
      checkUnaryBackward(n, x, dy, dx);
      for (let i = 0; i < n; i++) dx[i] = dy[i] * unaryDerivative(op, x[i]);
    },

    dropout(n, p, seed, offset, x, out, mask) {
      checkDropout(n, x, out, mask);
      const scale = dropoutScale(p);
      for (let i = 0; i < n; i++) {
        const keep = hashUniform(seed, offset + i) >= p;
        out[i] = keep ? x[i] * scale : 0;
        if (mask) mask[i] = keep ? 1 : 0;
      }
    },

    sum(n, x) {
      checkSum('sum', n, x);
      let acc = 0;
      for (let i = 0; i < n; i++) acc += x[i];
      return acc;
    },

    sumSquares(n, x) {
      checkSum('sumSquares', n, x);
      let acc = 0;
      for (let i = 0; i < n; i++) acc += x[i] * x[i];
      return acc;
    },

    ...nn.referenceNnKernels,

    adamSteps(tensors, lr, beta1, beta2, eps, weightDecay, decoupled, step) {
      for (const t of tensors) backend.adamStep(t.param.length, t.param, t.grad, t.m, t.v, lr, beta1, beta2, eps, weightDecay, decoupled, step);
    },

    adamStep(n, param, grad, m, v, lr, beta1, beta2, eps, weightDecay, decoupled, step) {
      checkAdamStep(n, param, grad, m, v);
      // Same operation order as torch.optim.Adam/AdamW (single-tensor path).
      const bc1 = 1 - Math.pow(beta1, step);
      const bc2 = 1 - Math.pow(beta2, step);
      const stepSize = lr / bc1;
      const sqrtBc2 = Math.sqrt(bc2);
      for (let i = 0; i < n; i++) {
        let p = param[i];
        let g = grad[i];
        if (decoupled) p *= 1 - lr * weightDecay;
        else if (weightDecay !== 0) g += weightDecay * p;
        const mi = beta1 * m[i] + (1 - beta1) * g;
        const vi = beta2 * v[i] + (1 - beta2) * g * g;
        m[i] = mi;
        v[i] = vi;
        param[i] = p - (stepSize * mi) / (Math.sqrt(vi) / sqrtBc2 + eps);
      }
    },
  };
  return backend;
}

function csrValue(A: CsrView, p: number, op: 'identity' | 'log1p'): number {
  return op === 'log1p' ? Math.log1p(A.values[p]) : A.values[p];
}
