// CSR x dense products. Output rows stay in L1 while two nonzeros are folded in per step
// (c += v0*B[k0,:] + v1*B[k1,:]); docs/engine.md measured this layout against register-strip variants.
import { madd } from './vmath';
import { adamSpan } from './elementwise';

@inline function val(values: usize, p: i32, log1p: i32): f32 {
  const v = load<f32>(values + <usize>p * 4);
  return log1p ? <f32>Math.log1p(<f64>v) : v;
}

@inline function scaleRow(c: usize, n: i32, beta: f32): void {
  if (beta == 1) return;
  let j = 0;
  if (beta == 0) {
    for (; j + 4 <= n; j += 4) v128.store(c + <usize>j * 4, f32x4.splat(0));
    for (; j < n; j++) store<f32>(c + <usize>j * 4, 0);
  } else {
    const vb = f32x4.splat(beta);
    for (; j + 4 <= n; j += 4) v128.store(c + <usize>j * 4, f32x4.mul(vb, v128.load(c + <usize>j * 4)));
    for (; j < n; j++) store<f32>(c + <usize>j * 4, beta * load<f32>(c + <usize>j * 4));
  }
}

// c[0:n] += v0 * b0[0:n] + v1 * b1[0:n]
@inline function axpy2(c: usize, b0: usize, b1: usize, v0: f32, v1: f32, n: i32): void {
  const w0 = f32x4.splat(v0), w1 = f32x4.splat(v1);
  let j = 0;
  for (; j + 8 <= n; j += 8) {
    const o = <usize>j * 4;
    v128.store(c + o, madd(w1, v128.load(b1 + o), madd(w0, v128.load(b0 + o), v128.load(c + o))));
    v128.store(c + o, madd(w1, v128.load(b1 + o, 16), madd(w0, v128.load(b0 + o, 16), v128.load(c + o, 16))), 16);
  }
  for (; j + 4 <= n; j += 4) {
    const o = <usize>j * 4;
    v128.store(c + o, madd(w1, v128.load(b1 + o), madd(w0, v128.load(b0 + o), v128.load(c + o))));
  }
  for (; j < n; j++) {
    const o = <usize>j * 4;
    store<f32>(c + o, load<f32>(c + o) + v0 * load<f32>(b0 + o) + v1 * load<f32>(b1 + o));
  }
}

// c[0:n] += v0 * b0[0:n]
@inline function axpy1(c: usize, b0: usize, v0: f32, n: i32): void {
  const w0 = f32x4.splat(v0);
  let j = 0;
  for (; j + 4 <= n; j += 4) {
    const o = <usize>j * 4;
    v128.store(c + o, madd(w0, v128.load(b0 + o), v128.load(c + o)));
  }
  for (; j < n; j++) {
    const o = <usize>j * 4;
    store<f32>(c + o, load<f32>(c + o) + v0 * load<f32>(b0 + o));
  }
}

// c[0:n] += v0*b0 + v1*b1 + v2*b2 + v3*b3 (one load/store of c per four nonzeros)
@inline function axpy4(c: usize, b0: usize, b1: usize, b2: usize, b3: usize, v0: f32, v1: f32, v2: f32, v3: f32, n: i32): void {
  const w0 = f32x4.splat(v0), w1 = f32x4.splat(v1), w2 = f32x4.splat(v2), w3 = f32x4.splat(v3);
  let j = 0;
  for (; j + 4 <= n; j += 4) {
    const o = <usize>j * 4;
    const a = madd(w1, v128.load(b1 + o), madd(w0, v128.load(b0 + o), v128.load(c + o)));
    v128.store(c + o, madd(w3, v128.load(b3 + o), madd(w2, v128.load(b2 + o), a)));
  }
  for (; j < n; j++) {
    const o = <usize>j * 4;
    store<f32>(c + o, load<f32>(c + o) + v0 * load<f32>(b0 + o) + v1 * load<f32>(b1 + o) + v2 * load<f32>(b2 + o) + v3 * load<f32>(b3 + o));
  }
}

/**
 * C[M,N] = beta*C + A[M,K] @ B[K,N] for rows [lo, hi), in blocks of B's rows (genes) small enough
 * to stay in L2 while every row of this share uses them: row by row, each nonzero pulled a scattered
 * row of B from memory, about 10 times per row of B and call at LDVAE's density. cursor: (hi - lo)
 * i32 scratch (each row's next nonzero). With sorted CSR indices the additions per output element
 * are the same, in the same order, as without blocks.
 */
export function spmm(N: i32, K: i32, indptr: usize, indices: usize, values: usize, B: usize, beta: f32, C: usize, log1p: i32, cursor: usize, lo: i32, hi: i32): void {
  const ldb = <usize>N * 4;
  const kb = ldb == 0 ? max(K, 1) : max(16, <i32>(SPMM_BLOCK_BYTES / ldb));
  for (let i = lo; i < hi; i++) {
    scaleRow(C + <usize>i * ldb, N, beta);
    store<i32>(cursor + <usize>(i - lo) * 4, load<i32>(indptr + <usize>i * 4));
  }
  for (let k0 = 0; k0 < K; k0 += kb) {
    const kEnd = k0 + kb >= K ? i32.MAX_VALUE : k0 + kb; // the last block takes everything left
    for (let i = lo; i < hi; i++) {
      const c = C + <usize>i * ldb;
      const cur = cursor + <usize>(i - lo) * 4;
      const p0 = load<i32>(cur);
      const rowEnd = load<i32>(indptr + <usize>(i + 1) * 4);
      let end = p0;
      while (end < rowEnd && load<i32>(indices + <usize>end * 4) < kEnd) end++;
      store<i32>(cur, end);
      let p = p0;
      for (; p + 4 <= end; p += 4) {
        const j0 = load<i32>(indices + <usize>p * 4), j1 = load<i32>(indices + <usize>(p + 1) * 4);
        const j2 = load<i32>(indices + <usize>(p + 2) * 4), j3 = load<i32>(indices + <usize>(p + 3) * 4);
        axpy4(c, B + <usize>j0 * ldb, B + <usize>j1 * ldb, B + <usize>j2 * ldb, B + <usize>j3 * ldb,
          val(values, p, log1p), val(values, p + 1, log1p), val(values, p + 2, log1p), val(values, p + 3, log1p), N);
      }
      for (; p + 2 <= end; p += 2) {
        const j0 = load<i32>(indices + <usize>p * 4), j1 = load<i32>(indices + <usize>(p + 1) * 4);
        axpy2(c, B + <usize>j0 * ldb, B + <usize>j1 * ldb, val(values, p, log1p), val(values, p + 1, log1p), N);
      }
      if (p < end) axpy1(c, B + <usize>load<i32>(indices + <usize>p * 4) * ldb, val(values, p, log1p), N);
    }
  }
}

const SPMM_BLOCK_BYTES: usize = 512 * 1024; // rows of B per block in spmm: about half an L2

/**
 * CSR rows [0, M) (K columns) to CSC: colptr [K+1], rows/vals [nnz] in row order within each
 * column (a stable counting sort), so the CSC products below add the nonzeros in the same order as
 * the row-wise loops. log1p is applied to the values here, once.
 */
export function csrToCsc(M: i32, K: i32, indptr: usize, indices: usize, values: usize, colptr: usize, rows: usize, vals: usize, log1p: i32): void {
  memory.fill(colptr, 0, <usize>(K + 1) * 4);
  const p0 = load<i32>(indptr), p1 = load<i32>(indptr + <usize>M * 4);
  for (let p = p0; p < p1; p++) {
    const a = colptr + <usize>(load<i32>(indices + <usize>p * 4) + 1) * 4;
    store<i32>(a, load<i32>(a) + 1);
  }
  for (let k = 0; k < K; k++) {
    const a = colptr + <usize>(k + 1) * 4;
    store<i32>(a, load<i32>(a) + load<i32>(a - 4));
  }
  // colptr[k] is the write cursor of column k; afterwards it holds the end of column k
  cscScatter(indptr, indices, values, colptr, rows, vals, log1p, 0, M);
  for (let k = K; k > 0; k--) store<i32>(colptr + <usize>k * 4, load<i32>(colptr + <usize>(k - 1) * 4));
  store<i32>(colptr, 0);
}

/**
 * spmmT from the CSC of A: C[K,N] = beta*C + A^T D for output rows [lo, hi). Each output row is
 * written once (no zero-fill pass, no read-modify-write of the [K,N] output per nonzero) and the
 * rows of D [M,N] stay in cache; same additions in the same order as the row-wise loop it replaces.
 */
export function spmmTCsc(N: i32, colptr: usize, rows: usize, vals: usize, D: usize, beta: f32, C: usize, lo: i32, hi: i32): void {
  const ld = <usize>N * 4;
  for (let k = lo; k < hi; k++) {
    const c = C + <usize>k * ld;
    scaleRow(c, N, beta);
    addRows(c, D, ld, rows, vals, load<i32>(colptr + <usize>k * 4), load<i32>(colptr + <usize>(k + 1) * 4), N);
  }
}

/** c[0:n] += sum over p in [p0, p1) of vals[p] * D[idx[p], 0:n] (rows of D ld bytes apart), four nonzeros a step. */
@inline function addRows(c: usize, D: usize, ld: usize, idx: usize, vals: usize, p0: i32, p1: i32, n: i32): void {
  let q = p0;
  for (; q + 4 <= p1; q += 4) {
    axpy4(c, D + <usize>load<i32>(idx + <usize>q * 4) * ld, D + <usize>load<i32>(idx + <usize>(q + 1) * 4) * ld,
      D + <usize>load<i32>(idx + <usize>(q + 2) * 4) * ld, D + <usize>load<i32>(idx + <usize>(q + 3) * 4) * ld,
      load<f32>(vals + <usize>q * 4), load<f32>(vals + <usize>(q + 1) * 4), load<f32>(vals + <usize>(q + 2) * 4), load<f32>(vals + <usize>(q + 3) * 4), n);
  }
  for (; q + 2 <= p1; q += 2) {
    axpy2(c, D + <usize>load<i32>(idx + <usize>q * 4) * ld, D + <usize>load<i32>(idx + <usize>(q + 1) * 4) * ld,
      load<f32>(vals + <usize>q * 4), load<f32>(vals + <usize>(q + 1) * 4), n);
  }
  if (q < p1) axpy1(c, D + <usize>load<i32>(idx + <usize>q * 4) * ld, load<f32>(vals + <usize>q * 4), n);
}

/**
 * Rows [lo, hi) of C = A D (A CSR, D [A.nCols, N]) each formed in `row` (N floats of this thread's
 * scratch) exactly as spmm forms them, optionally copied to grad, and applied at once by Adam to
 * param/m/v: the gradient row is used while it is in L1, never written to and re-read from memory.
 */
export function spmmAdam(N: i32, indptr: usize, indices: usize, values: usize, D: usize, param: usize, m: usize, v: usize, grad: usize, row: usize,
  beta1: f32, beta2: f32, oneMinusBeta1: f32, oneMinusBeta2: f32, eps: f32, weightDecay: f32, decoupled: i32, decay: f32, stepSize: f32, invSqrtBc2: f32,
  lo: i32, hi: i32): void {
  const ld = <usize>N * 4;
  for (let k = lo; k < hi; k++) {
    scaleRow(row, N, 0);
    addRows(row, D, ld, indices, values, load<i32>(indptr + <usize>k * 4), load<i32>(indptr + <usize>(k + 1) * 4), N);
    const o = <usize>k * ld;
    if (grad) memory.copy(grad + o, row, ld);
    adamSpan(param + o, row, m + o, v + o, N, beta1, beta2, oneMinusBeta1, oneMinusBeta2, eps, weightDecay, decoupled, decay, stepSize, invSqrtBc2);
  }
}

// ---- csrToCsc in three phases over row shares (transposeCsr on several threads) ----
// Each share counts its rows' nonzeros per column, one thread turns the counts into per-share write
// cursors (share t writes column k after shares 0..t-1), and each share scatters its rows. The result
// is the serial csrToCsc's, whatever the number of shares.

/** counts[0..K) = nonzeros per column in rows [lo, hi). */
export function cscCount(K: i32, indptr: usize, indices: usize, counts: usize, lo: i32, hi: i32): void {
  memory.fill(counts, 0, <usize>K * 4);
  const p1 = load<i32>(indptr + <usize>hi * 4);
  for (let p = load<i32>(indptr + <usize>lo * 4); p < p1; p++) {
    const a = counts + <usize>load<i32>(indices + <usize>p * 4) * 4;
    store<i32>(a, load<i32>(a) + 1);
  }
}

/** colptr [K+1] from nShares count arrays (stride K), which become each share's write cursors. */
export function cscCursors(K: i32, nShares: i32, counts: usize, colptr: usize): void {
  let base = 0;
  store<i32>(colptr, 0);
  for (let k = 0; k < K; k++) {
    for (let t = 0; t < nShares; t++) {
      const a = counts + (<usize>t * <usize>K + <usize>k) * 4;
      const c = load<i32>(a);
      store<i32>(a, base);
      base += c;
    }
    store<i32>(colptr + <usize>(k + 1) * 4, base);
  }
}

/** Rows [lo, hi) into the CSC through this share's cursors (values through log1p when asked). */
export function cscScatter(indptr: usize, indices: usize, values: usize, cursors: usize, rows: usize, vals: usize, log1p: i32, lo: i32, hi: i32): void {
  for (let i = lo; i < hi; i++) {
    const end = load<i32>(indptr + <usize>(i + 1) * 4);
    for (let p = load<i32>(indptr + <usize>i * 4); p < end; p++) {
      const a = cursors + <usize>load<i32>(indices + <usize>p * 4) * 4;
      const q = load<i32>(a);
      store<i32>(a, q + 1);
      store<i32>(rows + <usize>q * 4, i);
      store<f32>(vals + <usize>q * 4, val(values, p, log1p));
    }
  }
}
