import type { I32 } from '../../backend.js';
import { Tensor } from '../tensor.js';
import { accumulate, type Tape } from '../tape.js';

/** Row-wise softmax of x[M, N]. */
export function softmax(t: Tape, x: Tensor): Tensor {
  const be = t.backend;
  const M = x.rows;
  const N = x.cols;
  const out = t.output(x.shape, [x]);
  be.softmaxRows(M, N, x.data, out.data);
  t.record(out, () => {
    const dx = t.gradOf(x);
    if (!dx) return;
    const tmp = t.f32(x.size);
    be.softmaxRowsBackward(M, N, out.data, t.gradOf(out)!, tmp);
    accumulate(be, x.size, tmp, dx);
    t.release(tmp);
  });
  return out;
}

/** Row-wise log-softmax of x[M, N]. Backward: dx = dy - softmax(x) * rowsum(dy). */
export function logSoftmax(t: Tape, x: Tensor): Tensor {
  const be = t.backend;
  const M = x.rows;
  const N = x.cols;
  const out = t.output(x.shape, [x]);
  be.logSoftmaxRows(M, N, x.data, out.data);
  t.record(out, () => {
    const dx = t.gradOf(x);
    if (!dx) return;
    const dy = t.gradOf(out)!;
    const y = out.data;
    // a plain loop: log-softmax is off the hot path (the MLM loss uses the fused crossEntropy)
    for (let r = 0; r < M; r++) {
      const o = r * N;
      let s = 0;
      for (let j = 0; j < N; j++) s += dy[o + j];
      for (let j = 0; j < N; j++) dx[o + j] += dy[o + j] - Math.exp(y[o + j]) * s;
    }
  });
  return out;
}

/**
 * Mean cross-entropy over the rows of logits[M, V] whose target is >= 0 (target -1: row ignored),
 * as torch CrossEntropyLoss(ignore_index) with reduction 'mean'. Returns a scalar [1] tensor
 * (0 when no row is scored). Fused: softmax - onehot is computed once in the forward.
 */
export function crossEntropy(t: Tape, logits: Tensor, targets: I32): Tensor {
  const M = logits.rows;
  const V = logits.cols;
  if (targets.length !== M) throw new RangeError(`crossEntropy: ${targets.length} targets for ${M} rows`);
  let nValid = 0;
  for (let i = 0; i < M; i++) {
    const y = targets[i];
    if (y >= V) throw new RangeError(`crossEntropy: target ${y} out of range for ${V} classes`);
    if (y >= 0) nValid++;
  }
  const be = t.backend;
  const out = t.output([1], [logits]);
  if (nValid === 0) return out;
  const dLogits = t.f32(M * V); // [M, V] (softmax - onehot) / nValid
  out.data[0] = be.crossEntropyRows(M, V, logits.data, targets, 1 / nValid, dLogits);
  t.record(out, () => {
    const dx = t.gradOf(logits);
    if (dx) be.axpby(M * V, t.gradOf(out)![0], dLogits, 1, dx, dx);
    t.release(dLogits);
  });
  return out;
}
