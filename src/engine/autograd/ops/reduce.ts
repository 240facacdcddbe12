import { Tensor } from '../tensor.js';
import type { Tape } from '../tape.js';

function reduceTo(t: Tape, x: Tensor, factor: number): Tensor {
  const out = t.output([1], [x]);
  out.data[0] = t.backend.sum(x.size, x.data) * factor;
  t.record(out, () => {
    const dx = t.gradOf(x);
    if (!dx) return;
    const g = t.gradOf(out)![0] * factor;
    for (let i = 0; i < dx.length; i++) dx[i] += g;
  });
  return out;
}

/** Sum of all elements -> [1]. */
export function sum(t: Tape, x: Tensor): Tensor {
  return reduceTo(t, x, 1);
}

/** Mean of all elements -> [1]. */
export function mean(t: Tape, x: Tensor): Tensor {
  return reduceTo(t, x, 1 / Math.max(1, x.size));
}
