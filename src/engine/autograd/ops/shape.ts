import type { I32 } from '../../backend.js';
import { Tensor } from '../tensor.js';
import type { Tape } from '../tape.js';

/** Same data, new shape (a view: data and grad are shared with x, so no backward is needed). */
export function reshape(t: Tape, x: Tensor, shape: readonly number[]): Tensor {
  const n = shape.reduce((a, b) => a * b, 1);
  if (n !== x.size) throw new RangeError(`reshape: [${x.shape}] has ${x.size} elements, not ${n}`);
  const rg = t.needsGrad([x]);
  return new Tensor(x.data, shape, rg, rg ? t.gradOf(x) : null);
}

/** Rows [start, end) of x[M, N] as a view (shared data and grad). */
export function sliceRows(t: Tape, x: Tensor, start: number, end: number): Tensor {
  const M = x.rows;
  const N = x.cols;
  if (!(start >= 0 && end <= M && start <= end)) throw new RangeError(`sliceRows: [${start}, ${end}) outside 0..${M}`);
  const rg = t.needsGrad([x]);
  const g = rg ? t.gradOf(x)!.subarray(start * N, end * N) : null;
  return new Tensor(x.data.subarray(start * N, end * N), [end - start, N], rg, g);
}

/** out[i, :] = x[idx[i], :] for x[M, N] -> [n, N]; backward scatter-adds. */
export function gatherRows(t: Tape, x: Tensor, idx: I32): Tensor {
  const N = x.cols;
  const M = x.rows;
  for (let i = 0; i < idx.length; i++) {
    if (!(idx[i] >= 0 && idx[i] < M)) throw new RangeError(`gatherRows: index ${idx[i]} outside 0..${M - 1}`);
  }
  const be = t.backend;
  const out = t.output([idx.length, N], [x]);
  be.gatherRows(idx.length, N, x.data, idx, out.data);
  t.record(out, () => {
    const dx = t.gradOf(x);
    if (dx) be.scatterAddRows(idx.length, N, t.gradOf(out)!, idx, dx);
  });
  return out;
}

/**
 * Embedding lookup: table[V, D], ids [n] -> [n, D]. With `paddingIdx` (torch nn.Embedding
 * padding_idx) the lookup sends no gradient to that row; other uses of the table (a tied
 * decoder) still do.
 */
export function embedding(t: Tape, table: Tensor, ids: I32, paddingIdx?: number): Tensor {
  if (paddingIdx === undefined) return gatherRows(t, table, ids);
  const D = table.cols;
  const V = table.rows;
  for (let i = 0; i < ids.length; i++) {
    if (!(ids[i] >= 0 && ids[i] < V)) throw new RangeError(`embedding: token id ${ids[i]} outside 0..${V - 1}`);
  }
  const be = t.backend;
  const out = t.output([ids.length, D], [table]);
  be.gatherRows(ids.length, D, table.data, ids, out.data);
  t.record(out, () => {
    const dt = t.gradOf(table);
    if (!dt) return;
    // keep whatever the padding row already holds (e.g. the tied decoder's gradient)
    const keep = dt.slice(paddingIdx * D, paddingIdx * D + D);
    be.scatterAddRows(ids.length, D, t.gradOf(out)!, ids, dt);
    dt.set(keep, paddingIdx * D);
  });
  return out;
}
