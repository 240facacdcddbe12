import type { F32 } from '../../backend.js';
import { Tensor } from '../tensor.js';
import { accumulate, type Tape } from '../tape.js';

/** LayerNorm over the last dim of x[M, N]: gamma * (x - mean) / sqrt(var + eps) + beta. */
export function layerNorm(t: Tape, x: Tensor, gamma: Tensor, beta: Tensor, eps: number): Tensor {
  const M = x.rows;
  const N = x.cols;
  if (gamma.size !== N || beta.size !== N) throw new RangeError(`layerNorm: gamma/beta of ${gamma.size}/${beta.size} for rows of ${N}`);
  const be = t.backend;
  const out = t.output(x.shape, [x, gamma, beta]);
  const mean = t.f32(M);
  const invStd = t.f32(M);
  be.layerNormForward(M, N, x.data, gamma.data, beta.data, eps, out.data, mean, invStd);
  recordNormBackward(t, out, x, gamma, beta, (dy, dx, dg, db) => be.layerNormBackward(M, N, x.data, dy, gamma.data, mean, invStd, dx, dg, db));
  return out;
}

/** Running statistics of a BatchNorm layer, updated in training mode as torch (unbiased var). */
export interface BatchNormState {
  runningMean: F32;
  runningVar: F32;
  momentum: number;
}

/**
 * BatchNorm1d over the rows of x[M, N]. Training tape: batch statistics (biased variance) and,
 * if `state` is given, running stats updated with `momentum` (unbiased batch variance, as torch).
 * Inference tape: running statistics.
 */
export function batchNorm(t: Tape, x: Tensor, gamma: Tensor, beta: Tensor, eps: number, state?: BatchNormState): Tensor {
  const M = x.rows;
  const N = x.cols;
  const be = t.backend;
  const out = t.output(x.shape, [x, gamma, beta]);
  if (!t.training) {
    if (!state) throw new RangeError('batchNorm in inference mode needs running statistics');
    be.batchNormInference(M, N, x.data, gamma.data, beta.data, state.runningMean, state.runningVar, eps, out.data);
    // inference normalisation is affine in x: d out / d x = gamma / sqrt(runningVar + eps)
    t.record(out, () => {
      const dy = t.gradOf(out)!;
      const dx = t.gradOf(x);
      const dg = t.gradOf(gamma);
      const db = t.gradOf(beta);
      for (let j = 0; j < N; j++) {
        const is = 1 / Math.sqrt(state.runningVar[j] + eps);
        for (let i = 0; i < M; i++) {
          const k = i * N + j;
          if (dx) dx[k] += dy[k] * gamma.data[j] * is;
          if (dg) dg[j] += dy[k] * (x.data[k] - state.runningMean[j]) * is;
          if (db) db[j] += dy[k];
        }
      }
    });
    return out;
  }
  const mean = t.f32(N);
  const invStd = t.f32(N);
  be.batchNormForward(M, N, x.data, gamma.data, beta.data, eps, out.data, mean, invStd);
  if (state) {
    const m = state.momentum;
    for (let j = 0; j < N; j++) {
      const biased = 1 / (invStd[j] * invStd[j]) - eps;
      const unbiased = M > 1 ? (biased * M) / (M - 1) : biased;
      state.runningMean[j] = (1 - m) * state.runningMean[j] + m * mean[j];
      state.runningVar[j] = (1 - m) * state.runningVar[j] + m * unbiased;
    }
  }
  recordNormBackward(t, out, x, gamma, beta, (dy, dx, dg, db) => be.batchNormBackward(M, N, x.data, dy, gamma.data, mean, invStd, dx, dg, db));
  return out;
}

/**
 * The backward of a normalisation: the kernel overwrites dx and accumulates into dgamma/dbeta,
 * so x's gradient goes through a temporary and is added, and absent parameter grads get scratch.
 */
function recordNormBackward(t: Tape, out: Tensor, x: Tensor, gamma: Tensor, beta: Tensor, kernel: (dy: F32, dx: F32, dg: F32, db: F32) => void): void {
  const N = gamma.size;
  t.record(out, () => {
    const dy = t.gradOf(out)!;
    const dx = t.gradOf(x);
    const tmp = t.f32(x.size);
    kernel(dy, tmp, t.gradOf(gamma) ?? t.f32(N), t.gradOf(beta) ?? t.f32(N));
    if (dx) accumulate(t.backend, x.size, tmp, dx);
    t.release(tmp);
  });
}
