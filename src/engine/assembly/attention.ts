// Tiled attention (FlashAttention-2 style). q, k, v, out: [B, T, H, Dh], rows of width H*Dh.
// Per (b, h) a block of BQ = 64 query rows streams over key tiles of BK = 128 keys; the two products per tile
// (S = Q K^T and P V) run on the packed GEMM core, the online softmax keeps a running max and sum
// per row. Scratch per thread is O(BQ*BK + BQ*Dh): no T x T matrix. Keys >= lengths[b] are masked.
import { GEMM_SCRATCH, KC, gemmStrided, packAPanel, packBPanel } from './gemm';
import { vexp } from './vmath';

export const BQ: i32 = 64;
export const BK: i32 = 128;

/** bytes of per-thread scratch attention needs for head size Dh */
export function attentionScratchBytes(Dh: i32): i32 {
  // gemm scratch, S and P2 tiles, two BQ x Dh accumulators, m/l, two packed panels (BK x Dh each)
  return GEMM_SCRATCH + (2 * BQ * BK + 2 * BQ * Dh + 4 * BQ + 2 * BK * (Dh + 8)) * 4;
}

@inline function rowAt(base: usize, b: i32, t: i32, h: i32, T: i32, H: i32, Dh: i32): usize {
  return base + (<usize>((b * T + t) * H + h) * <usize>Dh) * 4;
}

// p[j] = exp(s[j] - shift) for j < n, in place; returns the float64 sum.
@inline function expRow(s: usize, n: i32, shift: f32): f64 {
  const vs = f32x4.splat(shift);
  let acc: f64 = 0;
  let j = 0;
  for (; j + 4 <= n; j += 4) {
    const e = vexp(f32x4.sub(v128.load(s + <usize>j * 4), vs));
    v128.store(s + <usize>j * 4, e);
    acc += <f64>(f32x4.extract_lane(e, 0) + f32x4.extract_lane(e, 1)) + <f64>(f32x4.extract_lane(e, 2) + f32x4.extract_lane(e, 3));
  }
  for (; j < n; j++) {
    const e = f32x4.extract_lane(vexp(f32x4.splat(load<f32>(s + <usize>j * 4) - shift)), 0);
    store<f32>(s + <usize>j * 4, e);
    acc += <f64>e;
  }
  return acc;
}

/** Work items [lo, hi) over (b, h, block of BQ queries). */
export function attentionForward(B: i32, T: i32, H: i32, Dh: i32, q: usize, k: usize, v: usize, lengths: usize, scale: f32,
  out: usize, lse: usize, scratch: usize, lo: i32, hi: i32): void {
  const nb = (T + BQ - 1) / BQ;
  const rs = H * Dh;
  const gs = scratch;
  const S = scratch + <usize>GEMM_SCRATCH;
  const O = S + <usize>(2 * BQ * BK) * 4;
  const Mx = O + <usize>(2 * BQ * Dh) * 4;
  const Ls = Mx + <usize>BQ * 4;
  const PA = Ls + <usize>(3 * BQ) * 4; // packed Q block (reused against every key tile)
  const pack = Dh <= KC;
  for (let w = lo; w < hi; w++) {
    const i0 = (w % nb) * BQ;
    const bh = w / nb;
    const h = bh % H, b = bh / H;
    const L = max(0, min(T, load<i32>(lengths + <usize>b * 4)));
    const nr = min(BQ, T - i0);
    const Q = rowAt(q, b, i0, h, T, H, Dh);
    if (pack) packAPanel(0, rs, Q, nr, Dh, PA);
    memory.fill(O, 0, <usize>(nr * Dh) * 4);
    for (let r = 0; r < nr; r++) {
      store<f32>(Mx + <usize>r * 4, -Infinity);
      store<f32>(Ls + <usize>r * 4, 0);
    }
    for (let j0 = 0; j0 < L; j0 += BK) {
      const nk = min(BK, L - j0);
      gemmStrided(0, 1, nr, nk, Dh, scale, Q, rs, rowAt(k, b, j0, h, T, H, Dh), rs, 0, S, BK, gs, pack ? PA : 0);
      for (let r = 0; r < nr; r++) {
        const srow = S + <usize>(r * BK) * 4;
        let mt = load<f32>(srow);
        for (let j = 1; j < nk; j++) mt = max(mt, load<f32>(srow + <usize>j * 4));
        const mOld = load<f32>(Mx + <usize>r * 4);
        const mNew = max(mOld, mt);
        const corr = f32x4.extract_lane(vexp(f32x4.splat(mOld - mNew)), 0); // 0 on the first tile
        const sum = expRow(srow, nk, mNew);
        store<f32>(Ls + <usize>r * 4, <f32>(<f64>load<f32>(Ls + <usize>r * 4) * <f64>corr + sum));
        store<f32>(Mx + <usize>r * 4, mNew);
        if (corr != 1) {
          const orow = O + <usize>(r * Dh) * 4;
          const vc = f32x4.splat(corr);
          let d = 0;
          for (; d + 4 <= Dh; d += 4) v128.store(orow + <usize>d * 4, f32x4.mul(v128.load(orow + <usize>d * 4), vc));
          for (; d < Dh; d++) store<f32>(orow + <usize>d * 4, load<f32>(orow + <usize>d * 4) * corr);
        }
      }
      gemmStrided(0, 0, nr, Dh, nk, 1, S, BK, rowAt(v, b, j0, h, T, H, Dh), rs, 1, O, Dh, gs);
    }
    for (let r = 0; r < nr; r++) {
      const l = load<f32>(Ls + <usize>r * 4);
      const inv: f32 = L > 0 ? 1 / l : 0;
      const orow = rowAt(out, b, i0 + r, h, T, H, Dh);
      for (let d = 0; d < Dh; d++) store<f32>(orow + <usize>d * 4, load<f32>(O + <usize>(r * Dh + d) * 4) * inv);
      store<f32>(lse + <usize>((b * H + h) * T + i0 + r) * 4, L > 0 ? <f32>(<f64>load<f32>(Mx + <usize>r * 4) + Math.log(<f64>l)) : -Infinity);
    }
  }
}

/** Dsum[b,h,i] = dot(dout_i, out_i) for work items (b, h, i) in [lo, hi). */
export function attentionRowDot(T: i32, H: i32, Dh: i32, out: usize, dout: usize, Dsum: usize, lo: i32, hi: i32): void {
  for (let w = lo; w < hi; w++) {
    const i = w % T, bh = w / T, h = bh % H, b = bh / H;
    const o = rowAt(out, b, i, h, T, H, Dh), g = rowAt(dout, b, i, h, T, H, Dh);
    let s: f64 = 0;
    for (let d = 0; d < Dh; d++) s += <f64>load<f32>(o + <usize>d * 4) * <f64>load<f32>(g + <usize>d * 4);
    store<f32>(Dsum + <usize>w * 4, <f32>s);
  }
}

// S[nq x nk] (ld BK) := exp(S - lse_row); P2 := S * (P2 - Dsum_row) * scale (dS)
@inline function probsAndDs(S: usize, P2: usize, nq: i32, nk: i32, lseRow: usize, dRow: usize, scale: f32): void {
  const vsc = f32x4.splat(scale);
  for (let r = 0; r < nq; r++) {
    const s = S + <usize>(r * BK) * 4, p2 = P2 + <usize>(r * BK) * 4;
    const vl = f32x4.splat(load<f32>(lseRow + <usize>r * 4));
    const vd = f32x4.splat(load<f32>(dRow + <usize>r * 4));
    let j = 0;
    for (; j + 4 <= nk; j += 4) {
      const o = <usize>j * 4;
      const p = vexp(f32x4.sub(v128.load(s + o), vl));
      v128.store(s + o, p);
      v128.store(p2 + o, f32x4.mul(f32x4.mul(p, f32x4.sub(v128.load(p2 + o), vd)), vsc));
    }
    for (; j < nk; j++) {
      const o = <usize>j * 4;
      const p = f32x4.extract_lane(vexp(f32x4.splat(load<f32>(s + o) - f32x4.extract_lane(vl, 0))), 0);
      store<f32>(s + o, p);
      store<f32>(p2 + o, p * (load<f32>(p2 + o) - f32x4.extract_lane(vd, 0)) * scale);
    }
  }
}

/**
 * Backward, scores recomputed tile by tile from lse. mode 0: dq for blocks of BQ queries;
 * mode 1: dk and dv for blocks of BK keys. Work items [lo, hi) over (b, h, block).
 */
export function attentionBackward(mode: i32, B: i32, T: i32, H: i32, Dh: i32, q: usize, k: usize, v: usize, lengths: usize, scale: f32,
  lse: usize, Dsum: usize, dout: usize, dq: usize, dk: usize, dv: usize, scratch: usize, lo: i32, hi: i32): void {
  const nb = (T + BQ - 1) / BQ;
  const rs = H * Dh;
  const gs = scratch;
  const S = scratch + <usize>GEMM_SCRATCH;
  const P2 = S + <usize>(BQ * BK) * 4;
  const G1 = P2 + <usize>(BQ * BK) * 4;
  const G2 = G1 + <usize>(BQ * Dh) * 4;
  const PA = G2 + <usize>(BQ * Dh) * 4 + <usize>(4 * BQ) * 4; // packed panels reused across tiles
  const PB = PA + <usize>(BK * (Dh + 8)) * 4;
  const pack = Dh <= KC;
  for (let w = lo; w < hi; w++) {
    const r0 = (w % nb) * BQ;
    const bh = w / nb;
    const h = bh % H, b = bh / H;
    const L = max(0, min(T, load<i32>(lengths + <usize>b * 4)));
    const nr = min(BQ, T - r0);
    const lseRow = lse + <usize>((b * H + h) * T) * 4;
    const dRow = Dsum + <usize>((b * H + h) * T) * 4;
    if (mode == 0) {
      memory.fill(G1, 0, <usize>(nr * Dh) * 4);
      const Q = rowAt(q, b, r0, h, T, H, Dh), dO = rowAt(dout, b, r0, h, T, H, Dh);
      if (pack) {
        packAPanel(0, rs, Q, nr, Dh, PA);
        packAPanel(0, rs, dO, nr, Dh, PB);
      }
      for (let j0 = 0; j0 < L; j0 += BK) {
        const nk = min(BK, L - j0);
        const Kt = rowAt(k, b, j0, h, T, H, Dh), Vt = rowAt(v, b, j0, h, T, H, Dh);
        gemmStrided(0, 1, nr, nk, Dh, scale, Q, rs, Kt, rs, 0, S, BK, gs, pack ? PA : 0);
        gemmStrided(0, 1, nr, nk, Dh, 1, dO, rs, Vt, rs, 0, P2, BK, gs, pack ? PB : 0);
        probsAndDs(S, P2, nr, nk, lseRow + <usize>r0 * 4, dRow + <usize>r0 * 4, scale);
        gemmStrided(0, 0, nr, Dh, nk, 1, P2, BK, Kt, rs, 1, G1, Dh, gs);
      }
      for (let r = 0; r < nr; r++) memory.copy(rowAt(dq, b, r0 + r, h, T, H, Dh), G1 + <usize>(r * Dh) * 4, <usize>Dh * 4);
    } else {
      const nk = max(0, min(nr, L - r0)); // valid keys in this block
      if (nk > 0) {
        memory.fill(G1, 0, <usize>(2 * BQ * Dh) * 4);
        const Kb = rowAt(k, b, r0, h, T, H, Dh), Vb = rowAt(v, b, r0, h, T, H, Dh);
        if (pack) {
          packBPanel(1, rs, Kb, Dh, nk, PA);
          packBPanel(1, rs, Vb, Dh, nk, PB);
        }
        for (let i0 = 0; i0 < T; i0 += BQ) {
          const nq = min(BQ, T - i0);
          const Qt = rowAt(q, b, i0, h, T, H, Dh), dOt = rowAt(dout, b, i0, h, T, H, Dh);
          gemmStrided(0, 1, nq, nk, Dh, scale, Qt, rs, Kb, rs, 0, S, BK, gs, 0, pack ? PA : 0);
          gemmStrided(0, 1, nq, nk, Dh, 1, dOt, rs, Vb, rs, 0, P2, BK, gs, 0, pack ? PB : 0);
          probsAndDs(S, P2, nq, nk, lseRow + <usize>i0 * 4, dRow + <usize>i0 * 4, scale);
          gemmStrided(1, 0, nk, Dh, nq, 1, S, BK, dOt, rs, 1, G2, Dh, gs); // dV += P^T dO
          gemmStrided(1, 0, nk, Dh, nq, 1, P2, BK, Qt, rs, 1, G1, Dh, gs); // dK += dS^T Q
        }
        for (let r = 0; r < nk; r++) {
          memory.copy(rowAt(dk, b, r0 + r, h, T, H, Dh), G1 + <usize>(r * Dh) * 4, <usize>Dh * 4);
          memory.copy(rowAt(dv, b, r0 + r, h, T, H, Dh), G2 + <usize>(r * Dh) * 4, <usize>Dh * 4);
        }
      }
      for (let r = nk; r < nr; r++) {
        memory.fill(rowAt(dk, b, r0 + r, h, T, H, Dh), 0, <usize>Dh * 4);
        memory.fill(rowAt(dv, b, r0 + r, h, T, H, Dh), 0, <usize>Dh * 4);
      }
    }
  }
}
