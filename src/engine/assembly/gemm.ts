// Packed GEMM: C[M,N] = alpha * op(A) @ op(B) + beta * C over the block [m0,m1) x [n0,n1).
// BLIS-style loops: B panels of KC x NC packed into 8-column strips, A blocks of MC x KC packed into
// 4-row strips, a 4x8 register micro-tile (8 v128 accumulators: 16 xmm registers on x64 are enough;
// a 4x16 tile spills, see docs/engine.md).
import { madd } from './vmath';

export const KC: i32 = 256;
export const NC: i32 = 256;
export const MC: i32 = 128;
/** bytes of per-thread scratch GEMM needs: packed B, packed A, one edge tile */
export const GEMM_SCRATCH: i32 = (KC * NC + MC * KC + 32) * 4;

export function gemmScratchBytes(): i32 {
  return GEMM_SCRATCH;
}

// op(B)[k, j] for k in [pc, pc+kc), j in [jc, jc+nc) -> strips of 8 columns, zero padded.
function packB(transB: i32, ldb: i32, B: usize, pc: i32, kc: i32, jc: i32, nc: i32, bp: usize): void {
  for (let s = 0; s < nc; s += 8) {
    const w = min(8, nc - s);
    const dst = bp + <usize>(s * kc) * 4;
    if (!transB) {
      if (w == 8) {
        for (let k = 0; k < kc; k++) {
          const src = B + (<usize>(pc + k) * <usize>ldb + <usize>(jc + s)) * 4;
          v128.store(dst + <usize>(k * 32), v128.load(src));
          v128.store(dst + <usize>(k * 32), v128.load(src, 16), 16);
        }
      } else {
        for (let k = 0; k < kc; k++) {
          const src = B + (<usize>(pc + k) * <usize>ldb + <usize>(jc + s)) * 4;
          for (let j = 0; j < 8; j++) store<f32>(dst + <usize>(k * 32 + j * 4), j < w ? load<f32>(src + <usize>(j * 4)) : 0);
        }
      }
    } else {
      // B stored [N, K]: column j of op(B) is contiguous along k; full strips are transposed in
      // 4x4 register blocks (two per group of 4 k), the tail element by element.
      let k0 = 0;
      if (w == 8) {
        for (; k0 + 4 <= kc; k0 += 4) {
          const src = B + (<usize>(jc + s) * <usize>ldb + <usize>(pc + k0)) * 4;
          const ld = <usize>ldb * 4;
          const d = dst + <usize>(k0 * 32);
          transpose4(v128.load(src), v128.load(src + ld), v128.load(src + 2 * ld), v128.load(src + 3 * ld), d, 32);
          transpose4(v128.load(src + 4 * ld), v128.load(src + 5 * ld), v128.load(src + 6 * ld), v128.load(src + 7 * ld), d + 16, 32);
        }
      }
      for (let j = 0; j < 8; j++) {
        if (j < w) {
          const src = B + (<usize>(jc + s + j) * <usize>ldb + <usize>pc) * 4;
          for (let k = k0; k < kc; k++) store<f32>(dst + <usize>(k * 32 + j * 4), load<f32>(src + <usize>(k * 4)));
        } else {
          for (let k = k0; k < kc; k++) store<f32>(dst + <usize>(k * 32 + j * 4), 0);
        }
      }
    }
  }
}

/** Stores the transpose of the 4x4 block with rows r0..r3 as 4 vectors at dst, dst+stride, ... */
@inline function transpose4(r0: v128, r1: v128, r2: v128, r3: v128, dst: usize, stride: usize): void {
  const t0 = v128.shuffle<i32>(r0, r1, 0, 4, 1, 5);
  const t1 = v128.shuffle<i32>(r2, r3, 0, 4, 1, 5);
  const t2 = v128.shuffle<i32>(r0, r1, 2, 6, 3, 7);
  const t3 = v128.shuffle<i32>(r2, r3, 2, 6, 3, 7);
  v128.store(dst, v128.shuffle<i32>(t0, t1, 0, 1, 4, 5));
  v128.store(dst + stride, v128.shuffle<i32>(t0, t1, 2, 3, 6, 7));
  v128.store(dst + 2 * stride, v128.shuffle<i32>(t2, t3, 0, 1, 4, 5));
  v128.store(dst + 3 * stride, v128.shuffle<i32>(t2, t3, 2, 3, 6, 7));
}

// op(A)[i, k] for i in [ic, ic+mc), k in [pc, pc+kc) -> strips of 4 rows, k-major, zero padded.
function packA(transA: i32, lda: i32, A: usize, ic: i32, mc: i32, pc: i32, kc: i32, ap: usize): void {
  for (let r = 0; r < mc; r += 4) {
    const h = min(4, mc - r);
    const dst = ap + <usize>(r * kc) * 4;
    if (transA) {
      // A stored [K, M]: the 4 rows of a strip are contiguous at fixed k.
      if (h == 4) {
        for (let k = 0; k < kc; k++) {
          v128.store(dst + <usize>(k * 16), v128.load(A + (<usize>(pc + k) * <usize>lda + <usize>(ic + r)) * 4));
        }
      } else {
        for (let k = 0; k < kc; k++) {
          const src = A + (<usize>(pc + k) * <usize>lda + <usize>(ic + r)) * 4;
          for (let i = 0; i < 4; i++) store<f32>(dst + <usize>(k * 16 + i * 4), i < h ? load<f32>(src + <usize>(i * 4)) : 0);
        }
      }
    } else {
      // A stored [M, K]: rows are contiguous along k; full strips transposed in 4x4 blocks.
      let k0 = 0;
      if (h == 4) {
        const ld = <usize>lda * 4;
        for (; k0 + 4 <= kc; k0 += 4) {
          const src = A + (<usize>(ic + r) * <usize>lda + <usize>(pc + k0)) * 4;
          transpose4(v128.load(src), v128.load(src + ld), v128.load(src + 2 * ld), v128.load(src + 3 * ld), dst + <usize>(k0 * 16), 16);
        }
      }
      for (let i = 0; i < 4; i++) {
        if (i < h) {
          const src = A + (<usize>(ic + r + i) * <usize>lda + <usize>pc) * 4;
          for (let k = k0; k < kc; k++) store<f32>(dst + <usize>(k * 16 + i * 4), load<f32>(src + <usize>(k * 4)));
        } else {
          for (let k = k0; k < kc; k++) store<f32>(dst + <usize>(k * 16 + i * 4), 0);
        }
      }
    }
  }
}

// One 4x8 tile: acc = Ap[4, kc] . Bp[kc, 8]; then C = alpha*acc + (first ? beta*C : C).
// `mode`: 0 = accumulate into C, 1 = overwrite (first K block, beta = 0), 2 = first block with beta;
// 3 / 4 = modes 1 / 0 with alpha = 1 (no multiply in the store).
@inline function tile(kc: i32, ap: usize, bp: usize, c: usize, ldc: usize, alpha: f32, beta: f32, mode: i32): void {
  let c00 = f32x4.splat(0), c01 = f32x4.splat(0), c10 = f32x4.splat(0), c11 = f32x4.splat(0);
  let c20 = f32x4.splat(0), c21 = f32x4.splat(0), c30 = f32x4.splat(0), c31 = f32x4.splat(0);
  for (let k = 0; k < kc; k++) {
    const b0 = v128.load(bp);
    const b1 = v128.load(bp, 16);
    let a = v128.load32_splat(ap);
    c00 = madd(a, b0, c00);
    c01 = madd(a, b1, c01);
    a = v128.load32_splat(ap, 4);
    c10 = madd(a, b0, c10);
    c11 = madd(a, b1, c11);
    a = v128.load32_splat(ap, 8);
    c20 = madd(a, b0, c20);
    c21 = madd(a, b1, c21);
    a = v128.load32_splat(ap, 12);
    c30 = madd(a, b0, c30);
    c31 = madd(a, b1, c31);
    ap += 16;
    bp += 32;
  }
  const va = f32x4.splat(alpha);
  storeRow(c, c00, c01, va, beta, mode);
  storeRow(c + ldc, c10, c11, va, beta, mode);
  storeRow(c + 2 * ldc, c20, c21, va, beta, mode);
  storeRow(c + 3 * ldc, c30, c31, va, beta, mode);
}

@inline function storeRow(c: usize, x0: v128, x1: v128, va: v128, beta: f32, mode: i32): void {
  if (mode == 3) { // overwrite with alpha = 1 (the common case: no multiply)
    v128.store(c, x0);
    v128.store(c, x1, 16);
  } else if (mode == 4) { // accumulate with alpha = 1
    v128.store(c, f32x4.add(v128.load(c), x0));
    v128.store(c, f32x4.add(v128.load(c, 16), x1), 16);
  } else if (mode == 1) {
    v128.store(c, f32x4.mul(x0, va));
    v128.store(c, f32x4.mul(x1, va), 16);
  } else if (mode == 0) {
    v128.store(c, madd(x0, va, v128.load(c)));
    v128.store(c, madd(x1, va, v128.load(c, 16)), 16);
  } else {
    const vb = f32x4.splat(beta);
    v128.store(c, madd(x0, va, f32x4.mul(v128.load(c), vb)));
    v128.store(c, madd(x1, va, f32x4.mul(v128.load(c, 16), vb)), 16);
  }
}

/**
 * Strided core: C[m, n] (leading dim ldc) = alpha * op(A)[m, K] @ op(B)[K, n] + beta * C, where A has
 * leading dim lda (rows of A as stored) and B leading dim ldb. Used by gemm and by the attention tiles.
 */
export function gemmStrided(transA: i32, transB: i32, m: i32, n: i32, K: i32, alpha: f32, A: usize, lda: i32, B: usize, ldb: i32,
  beta: f32, C: usize, ldc: i32, scratch: usize, packedA: usize = 0, packedB: usize = 0): void {
  if (m <= 0 || n <= 0) return;
  if (K == 0) {
    for (let i = 0; i < m; i++) {
      for (let j = 0; j < n; j++) {
        const p = C + (<usize>i * <usize>ldc + <usize>j) * 4;
        store<f32>(p, beta == 0 ? 0 : beta * load<f32>(p));
      }
    }
    return;
  }
  const bp = packedB ? packedB : scratch;
  const ap = packedA ? packedA : scratch + <usize>(KC * NC) * 4;
  const edge = scratch + <usize>(KC * NC + MC * KC) * 4;
  const ldcb = <usize>ldc * 4;
  for (let jc = 0; jc < n; jc += NC) {
    const nc = min(NC, n - jc);
    for (let pc = 0; pc < K; pc += KC) {
      const kc = min(KC, K - pc);
      const first = pc == 0;
      const mode = first ? (beta == 0 ? 1 : 2) : 0;
      if (!packedB) packB(transB, ldb, B, pc, kc, jc, nc, bp);
      for (let ic = 0; ic < m; ic += MC) {
        const mc = min(MC, m - ic);
        if (!packedA) packA(transA, lda, A, ic, mc, pc, kc, ap);
        for (let jr = 0; jr < nc; jr += 8) {
          const w = min(8, nc - jr);
          for (let ir = 0; ir < mc; ir += 4) {
            const h = min(4, mc - ir);
            const c = C + (<usize>(ic + ir) * <usize>ldc + <usize>(jc + jr)) * 4;
            const a = ap + <usize>(ir * kc) * 4;
            const b = bp + <usize>(jr * kc) * 4;
            if (w == 8 && h == 4) {
              tile(kc, a, b, c, ldcb, alpha, beta, alpha == 1 && mode < 2 ? mode == 1 ? 3 : 4 : mode);
            } else {
              tile(kc, a, b, edge, 32, 1, 0, 1);
              for (let i = 0; i < h; i++) {
                for (let j = 0; j < w; j++) {
                  const p = c + <usize>i * ldcb + <usize>(j * 4);
                  const v = alpha * load<f32>(edge + <usize>(i * 32 + j * 4));
                  store<f32>(p, mode == 1 ? v : mode == 0 ? load<f32>(p) + v : beta * load<f32>(p) + v);
                }
              }
            }
          }
        }
      }
    }
  }
}

/**
 * Packs op(A)[m, K] (m <= MC, K <= KC) once, for repeated gemmStrided(..., packedA) calls with
 * the same A (attention reuses a query block against every key tile). Needs 4*ceil(m/4)*K floats.
 */
export function packAPanel(transA: i32, lda: i32, A: usize, m: i32, K: i32, dst: usize): void {
  packA(transA, lda, A, 0, m, 0, K, dst);
}

/** Packs op(B)[K, n] (K <= KC, n <= NC) once; needs 8*ceil(n/8)*K floats. */
export function packBPanel(transB: i32, ldb: i32, B: usize, K: i32, n: i32, dst: usize): void {
  packB(transB, ldb, B, 0, K, 0, n, dst);
}

/** C[M,N] = alpha * op(A) @ op(B) + beta * C over the block [m0,m1) x [n0,n1) of C (row-major, contiguous). */
export function gemm(transA: i32, transB: i32, M: i32, N: i32, K: i32, alpha: f32, A: usize, B: usize, beta: f32,
  C: usize, m0: i32, m1: i32, n0: i32, n1: i32, scratch: usize): void {
  if (m1 <= m0 || n1 <= n0) return;
  const lda = transA ? M : K;
  const ldb = transB ? K : N;
  const a = A + <usize>(transA ? m0 : m0 * K) * 4;
  const b = B + <usize>(transB ? n0 * K : n0) * 4;
  gemmStrided(transA, transB, m1 - m0, n1 - n0, K, alpha, a, lda, b, ldb, beta, C + (<usize>m0 * <usize>N + <usize>n0) * 4, N, scratch);
}
