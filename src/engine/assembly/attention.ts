// Tiled attention (FlashAttention-style online softmax). q, k, v, out: [B, T, H, Dh]; per (b, h)
// blocks of 4 query rows stream over key tiles of KT keys, so only O(4 * KT + 4 * Dh) scratch per
// thread is used: no T x T matrix. Keys at positions >= lengths[b] are masked.
import { madd, vexp } from './vmath';

export const KT: i32 = 64;

@inline function hsum(v: v128): f32 {
  return f32x4.extract_lane(v, 0) + f32x4.extract_lane(v, 1) + f32x4.extract_lane(v, 2) + f32x4.extract_lane(v, 3);
}

// s[r] = dot(a_r, b) for 4 rows a_r and one vector b of length Dh (Dh % 4 tail handled).
@inline function dot4(a0: usize, a1: usize, a2: usize, a3: usize, b: usize, Dh: i32, s: usize): void {
  let x0 = f32x4.splat(0), x1 = f32x4.splat(0), x2 = f32x4.splat(0), x3 = f32x4.splat(0);
  let d = 0;
  for (; d + 4 <= Dh; d += 4) {
    const o = <usize>d * 4;
    const bv = v128.load(b + o);
    x0 = madd(v128.load(a0 + o), bv, x0);
    x1 = madd(v128.load(a1 + o), bv, x1);
    x2 = madd(v128.load(a2 + o), bv, x2);
    x3 = madd(v128.load(a3 + o), bv, x3);
  }
  let r0 = hsum(x0), r1 = hsum(x1), r2 = hsum(x2), r3 = hsum(x3);
  for (; d < Dh; d++) {
    const o = <usize>d * 4;
    const bv = load<f32>(b + o);
    r0 += load<f32>(a0 + o) * bv; r1 += load<f32>(a1 + o) * bv; r2 += load<f32>(a2 + o) * bv; r3 += load<f32>(a3 + o) * bv;
  }
  store<f32>(s, r0); store<f32>(s, r1, 4); store<f32>(s, r2, 8); store<f32>(s, r3, 12);
}

// y[0:Dh] += w * x[0:Dh]
@inline function axpy(y: usize, w: f32, x: usize, Dh: i32): void {
  const vw = f32x4.splat(w);
  let d = 0;
  for (; d + 4 <= Dh; d += 4) v128.store(y + <usize>d * 4, madd(vw, v128.load(x + <usize>d * 4), v128.load(y + <usize>d * 4)));
  for (; d < Dh; d++) store<f32>(y + <usize>d * 4, load<f32>(y + <usize>d * 4) + w * load<f32>(x + <usize>d * 4));
}

@inline function rowPtr(base: usize, b: i32, t: i32, h: i32, T: i32, H: i32, Dh: i32): usize {
  return base + (<usize>((b * T + t) * H + h) * <usize>Dh) * 4;
}

/** Work items [lo, hi) over (b, h, block of 4 queries). scratch: >= (8*KT + 4*Dh + 16) floats. */
export function attentionForward(B: i32, T: i32, H: i32, Dh: i32, q: usize, k: usize, v: usize, lengths: usize, scale: f32,
  out: usize, lse: usize, scratch: usize, lo: i32, hi: i32): void {
  const nb = (T + 3) >> 2;
  const S = scratch; // [KT][4] scores, key-major
  const O = S + <usize>(KT * 4) * 4; // [4][Dh]
  const ML = O + <usize>(4 * Dh) * 4; // m[4], l[4]
  for (let w = lo; w < hi; w++) {
    const i0 = (w % nb) * 4;
    const bh = w / nb;
    const h = bh % H, b = bh / H;
    const L = max(0, min(T, load<i32>(lengths + <usize>b * 4)));
    const nr = min(4, T - i0);
    const q0 = rowPtr(q, b, i0, h, T, H, Dh);
    const q1 = rowPtr(q, b, i0 + min(1, nr - 1), h, T, H, Dh);
    const q2 = rowPtr(q, b, i0 + min(2, nr - 1), h, T, H, Dh);
    const q3 = rowPtr(q, b, i0 + min(3, nr - 1), h, T, H, Dh);
    for (let d = 0; d < 4 * Dh; d++) store<f32>(O + <usize>d * 4, 0);
    let m = f32x4.splat(-Infinity), l = f32x4.splat(0);
    for (let j0 = 0; j0 < L; j0 += KT) {
      const nk = min(KT, L - j0);
      let mt = f32x4.splat(-Infinity);
      const vs = f32x4.splat(scale);
      for (let j = 0; j < nk; j++) {
        const sj = S + <usize>(j * 16);
        dot4(q0, q1, q2, q3, rowPtr(k, b, j0 + j, h, T, H, Dh), Dh, sj);
        const sv = f32x4.mul(v128.load(sj), vs);
        v128.store(sj, sv);
        mt = f32x4.max(mt, sv);
      }
      const mnew = f32x4.max(m, mt);
      const corr = vexp(f32x4.sub(m, mnew)); // exp(-inf) = 0 on the first tile
      l = f32x4.mul(l, corr);
      for (let r = 0; r < 4; r++) {
        const c = f32x4.extract_lane(corr, 0);
        const cr = r == 0 ? c : r == 1 ? f32x4.extract_lane(corr, 1) : r == 2 ? f32x4.extract_lane(corr, 2) : f32x4.extract_lane(corr, 3);
        const orow = O + <usize>(r * Dh) * 4;
        for (let d = 0; d < Dh; d++) store<f32>(orow + <usize>d * 4, load<f32>(orow + <usize>d * 4) * cr);
      }
      for (let j = 0; j < nk; j++) {
        const sj = S + <usize>(j * 16);
        const p = vexp(f32x4.sub(v128.load(sj), mnew));
        l = f32x4.add(l, p);
        const vj = rowPtr(v, b, j0 + j, h, T, H, Dh);
        axpy(O, f32x4.extract_lane(p, 0), vj, Dh);
        axpy(O + <usize>Dh * 4, f32x4.extract_lane(p, 1), vj, Dh);
        axpy(O + <usize>(2 * Dh) * 4, f32x4.extract_lane(p, 2), vj, Dh);
        axpy(O + <usize>(3 * Dh) * 4, f32x4.extract_lane(p, 3), vj, Dh);
      }
      m = mnew;
    }
    v128.store(ML, m);
    v128.store(ML, l, 16);
    for (let r = 0; r < nr; r++) {
      const mr = load<f32>(ML + <usize>r * 4), lr = load<f32>(ML + <usize>(4 + r) * 4);
      const orow = rowPtr(out, b, i0 + r, h, T, H, Dh);
      const inv: f32 = L > 0 ? 1 / lr : 0;
      for (let d = 0; d < Dh; d++) store<f32>(orow + <usize>d * 4, load<f32>(O + <usize>(r * Dh + d) * 4) * inv);
      store<f32>(lse + <usize>((b * H + h) * T + i0 + r) * 4, L > 0 ? <f32>(<f64>mr + Math.log(<f64>lr)) : -Infinity);
    }
  }
}

/** Dsum[b,h,i] = dot(dout_i, out_i) for work items (b, h, i) in [lo, hi). */
export function attentionRowDot(T: i32, H: i32, Dh: i32, out: usize, dout: usize, Dsum: usize, lo: i32, hi: i32): void {
  for (let w = lo; w < hi; w++) {
    const i = w % T, bh = w / T, h = bh % H, b = bh / H;
    const o = rowPtr(out, b, i, h, T, H, Dh), g = rowPtr(dout, b, i, h, T, H, Dh);
    let s: f32 = 0;
    for (let d = 0; d < Dh; d++) s += load<f32>(o + <usize>d * 4) * load<f32>(g + <usize>d * 4);
    store<f32>(Dsum + <usize>w * 4, s);
  }
}

/**
 * Backward. mode 0: dq for blocks of 4 queries (work items as in the forward);
 * mode 1: dk and dv for blocks of 4 keys. Scores are recomputed tile by tile from lse.
 * scratch: >= (8*KT + 8*Dh + 16) floats.
 */
export function attentionBackward(mode: i32, B: i32, T: i32, H: i32, Dh: i32, q: usize, k: usize, v: usize, lengths: usize, scale: f32,
  lse: usize, Dsum: usize, dout: usize, dq: usize, dk: usize, dv: usize, scratch: usize, lo: i32, hi: i32): void {
  const nb = (T + 3) >> 2;
  const S = scratch; // [KT][4] scores
  const P = S + <usize>(KT * 4) * 4; // [KT][4] dp
  const G1 = P + <usize>(KT * 4) * 4; // [4][Dh] accumulator (dq or dk)
  const G2 = G1 + <usize>(4 * Dh) * 4; // [4][Dh] accumulator (dv)
  const vs = f32x4.splat(scale);
  for (let w = lo; w < hi; w++) {
    const r0 = (w % nb) * 4;
    const bh = w / nb;
    const h = bh % H, b = bh / H;
    const L = max(0, min(T, load<i32>(lengths + <usize>b * 4)));
    const nr = min(4, T - r0);
    for (let d = 0; d < 8 * Dh; d++) store<f32>(G1 + <usize>d * 4, 0);
    const lseRow = lse + <usize>((b * H + h) * T) * 4;
    const dRow = Dsum + <usize>((b * H + h) * T) * 4;
    if (mode == 0) {
      // rows = 4 queries; stream over keys j < L
      const a0 = rowPtr(q, b, r0, h, T, H, Dh), a1 = rowPtr(q, b, r0 + min(1, nr - 1), h, T, H, Dh);
      const a2 = rowPtr(q, b, r0 + min(2, nr - 1), h, T, H, Dh), a3 = rowPtr(q, b, r0 + min(3, nr - 1), h, T, H, Dh);
      const g0 = rowPtr(dout, b, r0, h, T, H, Dh), g1 = rowPtr(dout, b, r0 + min(1, nr - 1), h, T, H, Dh);
      const g2 = rowPtr(dout, b, r0 + min(2, nr - 1), h, T, H, Dh), g3 = rowPtr(dout, b, r0 + min(3, nr - 1), h, T, H, Dh);
      const ls = f32x4(load<f32>(lseRow + <usize>r0 * 4), load<f32>(lseRow + <usize>(r0 + min(1, nr - 1)) * 4),
        load<f32>(lseRow + <usize>(r0 + min(2, nr - 1)) * 4), load<f32>(lseRow + <usize>(r0 + min(3, nr - 1)) * 4));
      const Dv = f32x4(load<f32>(dRow + <usize>r0 * 4), load<f32>(dRow + <usize>(r0 + min(1, nr - 1)) * 4),
        load<f32>(dRow + <usize>(r0 + min(2, nr - 1)) * 4), load<f32>(dRow + <usize>(r0 + min(3, nr - 1)) * 4));
      for (let j = 0; j < L; j++) {
        const kj = rowPtr(k, b, j, h, T, H, Dh), vj = rowPtr(v, b, j, h, T, H, Dh);
        dot4(a0, a1, a2, a3, kj, Dh, S);
        dot4(g0, g1, g2, g3, vj, Dh, P);
        const p = vexp(f32x4.sub(f32x4.mul(v128.load(S), vs), ls));
        const ds = f32x4.mul(f32x4.mul(p, f32x4.sub(v128.load(P), Dv)), vs);
        axpy(G1, f32x4.extract_lane(ds, 0), kj, Dh);
        axpy(G1 + <usize>Dh * 4, f32x4.extract_lane(ds, 1), kj, Dh);
        axpy(G1 + <usize>(2 * Dh) * 4, f32x4.extract_lane(ds, 2), kj, Dh);
        axpy(G1 + <usize>(3 * Dh) * 4, f32x4.extract_lane(ds, 3), kj, Dh);
      }
      for (let r = 0; r < nr; r++) memory.copy(rowPtr(dq, b, r0 + r, h, T, H, Dh), G1 + <usize>(r * Dh) * 4, <usize>Dh * 4);
    } else {
      // rows = 4 keys; stream over all queries i (every query attends to the valid keys)
      if (r0 < L) {
        const nv = min(nr, L - r0); // valid keys in this block
        const a0 = rowPtr(k, b, r0, h, T, H, Dh), a1 = rowPtr(k, b, r0 + min(1, nv - 1), h, T, H, Dh);
        const a2 = rowPtr(k, b, r0 + min(2, nv - 1), h, T, H, Dh), a3 = rowPtr(k, b, r0 + min(3, nv - 1), h, T, H, Dh);
        const c0 = rowPtr(v, b, r0, h, T, H, Dh), c1 = rowPtr(v, b, r0 + min(1, nv - 1), h, T, H, Dh);
        const c2 = rowPtr(v, b, r0 + min(2, nv - 1), h, T, H, Dh), c3 = rowPtr(v, b, r0 + min(3, nv - 1), h, T, H, Dh);
        for (let i = 0; i < T; i++) {
          const qi = rowPtr(q, b, i, h, T, H, Dh), gi = rowPtr(dout, b, i, h, T, H, Dh);
          dot4(a0, a1, a2, a3, qi, Dh, S);
          dot4(c0, c1, c2, c3, gi, Dh, P);
          const p = vexp(f32x4.sub(f32x4.mul(v128.load(S), vs), f32x4.splat(load<f32>(lseRow + <usize>i * 4))));
          const ds = f32x4.mul(f32x4.mul(p, f32x4.sub(v128.load(P), f32x4.splat(load<f32>(dRow + <usize>i * 4)))), vs);
          axpy(G1, f32x4.extract_lane(ds, 0), qi, Dh);
          axpy(G1 + <usize>Dh * 4, f32x4.extract_lane(ds, 1), qi, Dh);
          axpy(G1 + <usize>(2 * Dh) * 4, f32x4.extract_lane(ds, 2), qi, Dh);
          axpy(G1 + <usize>(3 * Dh) * 4, f32x4.extract_lane(ds, 3), qi, Dh);
          axpy(G2, f32x4.extract_lane(p, 0), gi, Dh);
          axpy(G2 + <usize>Dh * 4, f32x4.extract_lane(p, 1), gi, Dh);
          axpy(G2 + <usize>(2 * Dh) * 4, f32x4.extract_lane(p, 2), gi, Dh);
          axpy(G2 + <usize>(3 * Dh) * 4, f32x4.extract_lane(p, 3), gi, Dh);
        }
        for (let r = 0; r < nv; r++) {
          memory.copy(rowPtr(dk, b, r0 + r, h, T, H, Dh), G1 + <usize>(r * Dh) * 4, <usize>Dh * 4);
          memory.copy(rowPtr(dv, b, r0 + r, h, T, H, Dh), G2 + <usize>(r * Dh) * 4, <usize>Dh * 4);
        }
        for (let r = nv; r < nr; r++) {
          memory.fill(rowPtr(dk, b, r0 + r, h, T, H, Dh), 0, <usize>Dh * 4);
          memory.fill(rowPtr(dv, b, r0 + r, h, T, H, Dh), 0, <usize>Dh * 4);
        }
      } else {
        for (let r = 0; r < nr; r++) {
          memory.fill(rowPtr(dk, b, r0 + r, h, T, H, Dh), 0, <usize>Dh * 4);
          memory.fill(rowPtr(dv, b, r0 + r, h, T, H, Dh), 0, <usize>Dh * 4);
        }
      }
    }
  }
}
