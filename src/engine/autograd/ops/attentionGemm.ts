import type { F32, I32 } from '../../backend.js';
import { Tensor } from '../tensor.js';
import { accumulate, type Tape } from '../tape.js';

/** Query rows per tile: bounds the score tile at QUERY_TILE x T floats (2 MB at T = 2048). */
const QUERY_TILE = 256;

/**
 * When the probabilities of one call fit in this many bytes (B*H*T*T*4: 64 MiB for one
 * 2048-token cell with 4 heads), the forward keeps them for the backward, which then skips the
 * score GEMM and softmax recomputation (as torch, which keeps them always). Larger calls recompute.
 */
const PROB_CACHE_BYTES = 128 * 1024 * 1024;

/** [B, T, nH, Dh] (Linear layout) -> [B, nH, T, Dh] (one contiguous matrix per head), or back. */
function permuteHeads(src: F32, dst: F32, B: number, T: number, nH: number, Dh: number, toHeadMajor: boolean): void {
  for (let b = 0; b < B; b++) {
    for (let t = 0; t < T; t++) {
      for (let h = 0; h < nH; h++) {
        const tokenOff = ((b * T + t) * nH + h) * Dh;
        const headOff = ((b * nH + h) * T + t) * Dh;
        if (toHeadMajor) dst.set(src.subarray(tokenOff, tokenOff + Dh), headOff);
        else dst.set(src.subarray(headOff, headOff + Dh), tokenOff);
      }
    }
  }
}

/**
 * The same attention as `attention` (same arguments, same result up to float rounding), built
 * from GEMM and softmax kernels, one (cell, head) at a time in query tiles of 256 rows: the score
 * tile is 256 x length(b), never T x T; padded keys are simply left out of the products. The
 * backward recomputes each score tile (as flash attention) and needs 5 GEMMs per tile.
 */
export function attentionGemm(
  t: Tape, q: Tensor, k: Tensor, v: Tensor,
  dims: { B: number; T: number; H: number; Dh: number }, lengths: I32,
  opts: { scale?: number; dropoutP?: number; probCacheBytes?: number } = {},
): Tensor {
  const { B, T, H: nH, Dh } = dims;
  const scale = opts.scale ?? 1 / Math.sqrt(Dh);
  const dropoutP = opts.dropoutP ?? 0;
  const cacheBytes = opts.probCacheBytes ?? PROB_CACHE_BYTES;
  const n = B * T * nH * Dh;
  for (const [name, x] of [['q', q], ['k', k], ['v', v]] as const) {
    if (x.size !== n) throw new RangeError(`attention: ${name} has ${x.size} values, expected B*T*H*Dh = ${n}`);
  }
  if (lengths.length !== B) throw new RangeError(`attention: ${lengths.length} lengths for batch ${B}`);
  const be = t.backend;
  const out = t.output([B, T, nH * Dh], [q, k, v]);
  const qh = t.f32(n);
  const kh = t.f32(n);
  const vh = t.f32(n);
  permuteHeads(q.data, qh, B, T, nH, Dh, true);
  permuteHeads(k.data, kh, B, T, nH, Dh, true);
  permuteHeads(v.data, vh, B, T, nH, Dh, true);
  const oh = t.f32(n);
  const tq = Math.min(T, QUERY_TILE);
  const S = t.f32(tq * T);
  const P = t.f32(tq * T);
  // walks every (cell, head, query tile) with the views the GEMMs need
  const pDrop = t.training ? dropoutP : 0;
  if (!(pDrop >= 0 && pDrop < 1)) throw new RangeError(`attention dropout must be in [0, 1), got ${dropoutP}`);
  const seed = pDrop > 0 ? t.nextSeed() : 0;
  if (pDrop > 0 && B * nH * T * T >= 2 ** 32) throw new RangeError('attention dropout: B*H*T*T exceeds the 2^32 mask counters');
  const tiles = (fn: (L: number, rows: number, Q: F32, K: F32, V: F32, at: number, base: number) => void) => {
    for (let b = 0; b < B; b++) {
      const L = Math.max(0, Math.min(T, lengths[b]));
      if (L === 0) continue; // no key: the output row stays 0, as the tiled kernels give
      for (let h = 0; h < nH; h++) {
        const base = (b * nH + h) * T * Dh;
        const K = kh.subarray(base, base + L * Dh);
        const V = vh.subarray(base, base + L * Dh);
        for (let i0 = 0; i0 < T; i0 += tq) {
          const rows = Math.min(tq, T - i0);
          fn(L, rows, qh.subarray(base + i0 * Dh, base + (i0 + rows) * Dh), K, V, base + i0 * Dh, base);
        }
      }
    }
  };
  // probabilities of tile (b, h, i0) live at ((b*H + h)*T + i0)*T = (at / Dh) * T, as the masks
  const cache = out.requiresGrad && B * nH * T * T * 4 <= cacheBytes ? t.f32(B * nH * T * T) : null;
  tiles((L, rows, Q, K, V, at) => {
    const off = (at / Dh) * T;
    const Pt = cache ? cache.subarray(off, off + rows * L) : P;
    be.gemm(false, true, rows, L, Dh, scale, Q, K, 0, S); // [rows, L] scores
    be.softmaxRows(rows, L, S, Pt);
    let Pv = Pt;
    if (pDrop > 0) {
      be.dropout(rows * L, pDrop, seed, off, Pt, P); // the cache keeps the pre-dropout P
      Pv = P;
    }
    be.gemm(false, false, rows, Dh, L, 1, Pv, V, 0, oh.subarray(at, at + rows * Dh));
  });
  permuteHeads(oh, out.data, B, T, nH, Dh, false);
  t.release(oh);
  if (!out.requiresGrad) {
    for (const b of [qh, kh, vh, S, P]) t.release(b);
    return out;
  }
  t.record(out, () => {
    const doh = t.f32(n);
    permuteHeads(t.gradOf(out)!, doh, B, T, nH, Dh, true);
    const dqh = t.f32(n);
    const dkh = t.f32(n);
    const dvh = t.f32(n);
    const dP = t.f32(tq * T);
    const dS = t.f32(tq * T);
    const mask = pDrop > 0 ? t.f32(tq * T) : null;
    tiles((L, rows, Q, K, V, at, base) => {
      const dO = doh.subarray(at, at + rows * Dh);
      const off = (at / Dh) * T;
      let Pt = P;
      if (cache) Pt = cache.subarray(off, off + rows * L);
      else {
        be.gemm(false, true, rows, L, Dh, scale, Q, K, 0, S);
        be.softmaxRows(rows, L, S, P);
      }
      be.gemm(false, true, rows, L, Dh, 1, dO, V, 0, dP); // dP' = dO Vᵀ
      if (pDrop > 0) {
        // P' = dropout(P): dV uses P', and d/dP of dropout is the same mask and scale (one
        // hashing pass writes both; the mask is then applied with cheap elementwise kernels)
        be.dropout(rows * L, pDrop, seed, off, Pt, S, mask!);
        be.gemm(true, false, L, Dh, rows, 1, S, dO, 1, dvh.subarray(base, base + L * Dh)); // dV += P'ᵀ dO
        be.binary('mul', rows * L, dP, mask!, dP);
        be.axpby(rows * L, 1 / (1 - pDrop), dP, 0, dP, dP);
      } else {
        be.gemm(true, false, L, Dh, rows, 1, Pt, dO, 1, dvh.subarray(base, base + L * Dh)); // dV += Pᵀ dO
      }
      be.softmaxRowsBackward(rows, L, Pt, dP, dS);
      be.gemm(false, false, rows, Dh, L, scale, dS, K, 0, dqh.subarray(at, at + rows * Dh)); // dQ = s dS K
      be.gemm(true, false, L, Dh, rows, scale, dS, Q, 1, dkh.subarray(base, base + L * Dh)); // dK += s dSᵀ Q
    });
    const tmp = t.f32(n);
    for (const [src, x] of [[dqh, q], [dkh, k], [dvh, v]] as const) {
      const g = t.gradOf(x);
      if (!g) continue;
      permuteHeads(src, tmp, B, T, nH, Dh, false);
      accumulate(be, n, tmp, g);
    }
    for (const b of [doh, dqh, dkh, dvh, dP, dS, tmp]) t.release(b);
    if (mask) t.release(mask);
    if (cache) t.release(cache);
    t.release(S);
    t.release(P);
  });
  return out;
}
