import type { I32 } from '../../backend.js';
import { Tensor } from '../tensor.js';
import { accumulate, type Tape } from '../tape.js';

/**
 * Multi-head scaled dot-product attention over q, k, v of shape [B, T, H*Dh] (the layout a
 * Linear produces; heads are contiguous Dh-blocks). Keys at positions >= lengths[b] are masked
 * (right padding). Tiled in the backend (no T x T matrix); the backward recomputes scores from
 * the saved log-sum-exp. Returns [B, T, H*Dh].
 */
export function attention(
  t: Tape, q: Tensor, k: Tensor, v: Tensor,
  dims: { B: number; T: number; H: number; Dh: number }, lengths: I32, scale = 1 / Math.sqrt(dims.Dh),
): Tensor {
  const { B, T, H, Dh } = dims;
  const n = B * T * H * Dh;
  for (const [name, x] of [['q', q], ['k', k], ['v', v]] as const) {
    if (x.size !== n) throw new RangeError(`attention: ${name} has ${x.size} values, expected B*T*H*Dh = ${n}`);
  }
  if (lengths.length !== B) throw new RangeError(`attention: ${lengths.length} lengths for batch ${B}`);
  const be = t.backend;
  const out = t.output([B, T, H * Dh], [q, k, v]);
  const lse = t.f32(B * H * T);
  be.attentionForward(B, T, H, Dh, q.data, k.data, v.data, lengths, scale, out.data, lse);
  t.record(out, () => {
    const dq = t.f32(n);
    const dk = t.f32(n);
    const dv = t.f32(n);
    be.attentionBackward(B, T, H, Dh, q.data, k.data, v.data, lengths, scale, out.data, lse, t.gradOf(out)!, dq, dk, dv);
    const gq = t.gradOf(q);
    const gk = t.gradOf(k);
    const gv = t.gradOf(v);
    if (gq) accumulate(be, n, dq, gq);
    if (gk) accumulate(be, n, dk, gk);
    if (gv) accumulate(be, n, dv, gv);
    t.release(dq);
    t.release(dk);
    t.release(dv);
  });
  return out;
}
