// Normalisation, softmax family, cross-entropy and embedding kernels. Statistics accumulate in
// float64; row kernels split rows over threads, column statistics split columns (no write races).
import { vexp, vexpNeg } from './vmath';

@inline function at(base: usize, i: i32): usize {
  return base + <usize>i * 4;
}

// ---- BatchNorm over rows of x[M,N], columns [lo, hi); acc = 2*(hi-lo) f64 scratch ----
export function batchNormForward(M: i32, N: i32, x: usize, gamma: usize, beta: usize, eps: f32, out: usize, mean: usize, invStd: usize, acc: usize, lo: i32, hi: i32): void {
  const w = hi - lo;
  const s1 = acc, s2 = acc + <usize>w * 8;
  for (let j = 0; j < w; j++) { store<f64>(s1 + <usize>j * 8, 0); store<f64>(s2 + <usize>j * 8, 0); }
  for (let i = 0; i < M; i++) {
    const row = x + <usize>i * <usize>N * 4;
    for (let j = lo; j < hi; j++) { const a = s1 + <usize>(j - lo) * 8; store<f64>(a, load<f64>(a) + <f64>load<f32>(at(row, j))); }
  }
  for (let j = 0; j < w; j++) store<f64>(s1 + <usize>j * 8, M > 0 ? load<f64>(s1 + <usize>j * 8) / <f64>M : 0);
  for (let i = 0; i < M; i++) {
    const row = x + <usize>i * <usize>N * 4;
    for (let j = lo; j < hi; j++) {
      const d = <f64>load<f32>(at(row, j)) - load<f64>(s1 + <usize>(j - lo) * 8);
      const a = s2 + <usize>(j - lo) * 8;
      store<f64>(a, load<f64>(a) + d * d);
    }
  }
  for (let j = lo; j < hi; j++) {
    const mu = load<f64>(s1 + <usize>(j - lo) * 8);
    const v = M > 0 ? load<f64>(s2 + <usize>(j - lo) * 8) / <f64>M : 0;
    store<f32>(at(mean, j), <f32>mu);
    store<f32>(at(invStd, j), <f32>(1 / Math.sqrt(v + <f64>eps)));
    store<f64>(s2 + <usize>(j - lo) * 8, 1 / Math.sqrt(v + <f64>eps));
  }
  for (let i = 0; i < M; i++) {
    const row = x + <usize>i * <usize>N * 4;
    const orow = out + <usize>i * <usize>N * 4;
    for (let j = lo; j < hi; j++) {
      const xh = (<f64>load<f32>(at(row, j)) - load<f64>(s1 + <usize>(j - lo) * 8)) * load<f64>(s2 + <usize>(j - lo) * 8);
      store<f32>(at(orow, j), <f32>(<f64>load<f32>(at(gamma, j)) * xh + <f64>load<f32>(at(beta, j))));
    }
  }
}

export function batchNormInference(M: i32, N: i32, x: usize, gamma: usize, beta: usize, rm: usize, rv: usize, eps: f32, out: usize, lo: i32, hi: i32): void {
  for (let i = 0; i < M; i++) {
    const row = x + <usize>i * <usize>N * 4;
    const orow = out + <usize>i * <usize>N * 4;
    for (let j = lo; j < hi; j++) {
      const is = 1 / Math.sqrt(<f64>load<f32>(at(rv, j)) + <f64>eps);
      const xh = (<f64>load<f32>(at(row, j)) - <f64>load<f32>(at(rm, j))) * is;
      store<f32>(at(orow, j), <f32>(<f64>load<f32>(at(gamma, j)) * xh + <f64>load<f32>(at(beta, j))));
    }
  }
}

export function batchNormBackward(M: i32, N: i32, x: usize, dy: usize, gamma: usize, mean: usize, invStd: usize, dx: usize, dgamma: usize, dbeta: usize, acc: usize, lo: i32, hi: i32): void {
  // The column sums (sum dy, sum dy*xhat) accumulate in float64, the columns taken two float64 lanes
  // at a time; dx is then formed in float32, as torch's CPU kernel does (its reductions use double).
  // acc: 2*(hi-lo) f64 sums, then 3*(hi-lo) f32 (gamma*invStd/M and the two sums, rounded).
  const w = hi - lo;
  const sdy = acc, sdyx = acc + <usize>w * 8;
  const kk = acc + <usize>w * 16, s1 = kk + <usize>w * 4, s2 = s1 + <usize>w * 4;
  memory.fill(acc, 0, <usize>w * 16);
  const w4 = lo + ((w >> 2) << 2);
  for (let i = 0; i < M; i++) {
    const off = <usize>i * <usize>N * 4;
    let j = lo;
    for (; j < w4; j += 4) {
      const gv = v128.load(at(dy + off, j));
      const xv = v128.load(at(x + off, j));
      const mv = v128.load(at(mean, j));
      const iv = v128.load(at(invStd, j));
      const g0 = f64x2.promote_low_f32x4(gv), g1 = f64x2.promote_low_f32x4(v128.shuffle<f32>(gv, gv, 2, 3, 2, 3));
      const xh0 = f64x2.mul(f64x2.sub(f64x2.promote_low_f32x4(xv), f64x2.promote_low_f32x4(mv)), f64x2.promote_low_f32x4(iv));
      const xh1 = f64x2.mul(f64x2.sub(f64x2.promote_low_f32x4(v128.shuffle<f32>(xv, xv, 2, 3, 2, 3)), f64x2.promote_low_f32x4(v128.shuffle<f32>(mv, mv, 2, 3, 2, 3))),
        f64x2.promote_low_f32x4(v128.shuffle<f32>(iv, iv, 2, 3, 2, 3)));
      const a = sdy + <usize>(j - lo) * 8, b = sdyx + <usize>(j - lo) * 8;
      v128.store(a, f64x2.add(v128.load(a), g0));
      v128.store(a, f64x2.add(v128.load(a, 16), g1), 16);
      v128.store(b, f64x2.add(v128.load(b), f64x2.mul(g0, xh0)));
      v128.store(b, f64x2.add(v128.load(b, 16), f64x2.mul(g1, xh1)), 16);
    }
    for (; j < hi; j++) {
      const g = <f64>load<f32>(at(dy + off, j));
      const xh = (<f64>load<f32>(at(x + off, j)) - <f64>load<f32>(at(mean, j))) * <f64>load<f32>(at(invStd, j));
      const a = sdy + <usize>(j - lo) * 8, b = sdyx + <usize>(j - lo) * 8;
      store<f64>(a, load<f64>(a) + g);
      store<f64>(b, load<f64>(b) + g * xh);
    }
  }
  for (let j = lo; j < hi; j++) {
    const q = <usize>(j - lo);
    const a = load<f64>(sdy + q * 8), b = load<f64>(sdyx + q * 8);
    store<f32>(at(dbeta, j), load<f32>(at(dbeta, j)) + <f32>a);
    store<f32>(at(dgamma, j), load<f32>(at(dgamma, j)) + <f32>b);
    store<f32>(kk + q * 4, <f32>(<f64>load<f32>(at(gamma, j)) * <f64>load<f32>(at(invStd, j)) / <f64>M));
    store<f32>(s1 + q * 4, <f32>a);
    store<f32>(s2 + q * 4, <f32>b);
  }
  const vM = f32x4.splat(<f32>M), fM = <f32>M;
  for (let i = 0; i < M; i++) {
    const off = <usize>i * <usize>N * 4;
    let j = lo;
    for (; j < w4; j += 4) {
      const q = <usize>(j - lo) * 4;
      const xh = f32x4.mul(f32x4.sub(v128.load(at(x + off, j)), v128.load(at(mean, j))), v128.load(at(invStd, j)));
      const t = f32x4.sub(f32x4.mul(vM, v128.load(at(dy + off, j))), v128.load(s1 + q));
      v128.store(at(dx + off, j), f32x4.mul(v128.load(kk + q), f32x4.sub(t, f32x4.mul(xh, v128.load(s2 + q)))));
    }
    for (; j < hi; j++) {
      const q = <usize>(j - lo) * 4;
      const xh = (load<f32>(at(x + off, j)) - load<f32>(at(mean, j))) * load<f32>(at(invStd, j));
      store<f32>(at(dx + off, j), load<f32>(kk + q) * ((fM * load<f32>(at(dy + off, j)) - load<f32>(s1 + q)) - xh * load<f32>(s2 + q)));
    }
  }
}

// ---- LayerNorm over the last dim, rows [lo, hi) ----
export function layerNormForward(N: i32, x: usize, gamma: usize, beta: usize, eps: f32, out: usize, mean: usize, invStd: usize, lo: i32, hi: i32): void {
  for (let i = lo; i < hi; i++) {
    const row = x + <usize>i * <usize>N * 4;
    const orow = out + <usize>i * <usize>N * 4;
    let s: f64 = 0;
    for (let j = 0; j < N; j++) s += <f64>load<f32>(at(row, j));
    const mu = N > 0 ? s / <f64>N : 0;
    let ss: f64 = 0;
    for (let j = 0; j < N; j++) { const d = <f64>load<f32>(at(row, j)) - mu; ss += d * d; }
    const is = 1 / Math.sqrt((N > 0 ? ss / <f64>N : 0) + <f64>eps);
    store<f32>(at(mean, i), <f32>mu);
    store<f32>(at(invStd, i), <f32>is);
    const m32 = <f32>mu, i32_ = <f32>is;
    for (let j = 0; j < N; j++) {
      store<f32>(at(orow, j), load<f32>(at(gamma, j)) * ((load<f32>(at(row, j)) - m32) * i32_) + load<f32>(at(beta, j)));
    }
  }
}

/** dx for rows [lo, hi). */
export function layerNormBackwardDx(N: i32, x: usize, dy: usize, gamma: usize, mean: usize, invStd: usize, dx: usize, lo: i32, hi: i32): void {
  for (let i = lo; i < hi; i++) {
    const off = <usize>i * <usize>N * 4;
    const mu = <f64>load<f32>(at(mean, i)), is = <f64>load<f32>(at(invStd, i));
    let sg: f64 = 0, sgx: f64 = 0;
    for (let j = 0; j < N; j++) {
      const g = <f64>load<f32>(at(dy + off, j)) * <f64>load<f32>(at(gamma, j));
      sg += g;
      sgx += g * (<f64>load<f32>(at(x + off, j)) - mu) * is;
    }
    for (let j = 0; j < N; j++) {
      const g = <f64>load<f32>(at(dy + off, j)) * <f64>load<f32>(at(gamma, j));
      const xh = (<f64>load<f32>(at(x + off, j)) - mu) * is;
      store<f32>(at(dx + off, j), <f32>((is / <f64>N) * (<f64>N * g - sg - xh * sgx)));
    }
  }
}

/** dgamma += sum_i dy*xhat, dbeta += sum_i dy for columns [lo, hi). */
export function layerNormBackwardParams(M: i32, N: i32, x: usize, dy: usize, mean: usize, invStd: usize, dgamma: usize, dbeta: usize, acc: usize, lo: i32, hi: i32): void {
  const w = hi - lo;
  const sg = acc, sb = acc + <usize>w * 8;
  for (let j = 0; j < w; j++) { store<f64>(sg + <usize>j * 8, 0); store<f64>(sb + <usize>j * 8, 0); }
  for (let i = 0; i < M; i++) {
    const off = <usize>i * <usize>N * 4;
    const mu = <f64>load<f32>(at(mean, i)), is = <f64>load<f32>(at(invStd, i));
    for (let j = lo; j < hi; j++) {
      const g = <f64>load<f32>(at(dy + off, j));
      const a = sg + <usize>(j - lo) * 8, b = sb + <usize>(j - lo) * 8;
      store<f64>(a, load<f64>(a) + g * (<f64>load<f32>(at(x + off, j)) - mu) * is);
      store<f64>(b, load<f64>(b) + g);
    }
  }
  for (let j = lo; j < hi; j++) {
    store<f32>(at(dgamma, j), load<f32>(at(dgamma, j)) + <f32>load<f64>(sg + <usize>(j - lo) * 8));
    store<f32>(at(dbeta, j), load<f32>(at(dbeta, j)) + <f32>load<f64>(sb + <usize>(j - lo) * 8));
  }
}

// ---- softmax family (rows [lo, hi) of [M, N]) ----
@inline function rowMax(row: usize, N: i32): f32 {
  let m = f32x4.splat(-Infinity);
  let j = 0;
  for (; j + 4 <= N; j += 4) m = f32x4.max(m, v128.load(at(row, j)));
  let r = max(max(f32x4.extract_lane(m, 0), f32x4.extract_lane(m, 1)), max(f32x4.extract_lane(m, 2), f32x4.extract_lane(m, 3)));
  for (; j < N; j++) r = max(r, load<f32>(at(row, j)));
  return r;
}

/** out[j] = exp(row[j] - m) (out may be null) and returns the float64 sum. */
export function expShiftSum(row: usize, N: i32, m: f32, out: usize): f64 {
  const vm = f32x4.splat(m);
  let s: f64 = 0;
  let j = 0;
  while (j + 4 <= N) {
    // float32 lane sums over at most 16 vectors (terms in (0, 1]), then added in float64
    const end = min(N & ~3, j + 64);
    let a = f32x4.splat(0);
    for (; j < end; j += 4) {
      const e = vexpNeg(f32x4.sub(v128.load(at(row, j)), vm)); // x - max <= 0
      if (out) v128.store(at(out, j), e);
      a = f32x4.add(a, e);
    }
    s += (<f64>f32x4.extract_lane(a, 0) + <f64>f32x4.extract_lane(a, 1)) + (<f64>f32x4.extract_lane(a, 2) + <f64>f32x4.extract_lane(a, 3));
  }
  for (; j < N; j++) {
    const e = f32x4.extract_lane(vexp(f32x4.splat(load<f32>(at(row, j)) - m)), 0);
    if (out) store<f32>(at(out, j), e);
    s += <f64>e;
  }
  return s;
}

export function softmaxRows(N: i32, x: usize, out: usize, lo: i32, hi: i32): void {
  for (let i = lo; i < hi; i++) {
    const row = x + <usize>i * <usize>N * 4, orow = out + <usize>i * <usize>N * 4;
    const m = rowMax(row, N);
    const inv = f32x4.splat(<f32>(1 / expShiftSum(row, N, m, orow)));
    let j = 0;
    for (; j + 4 <= N; j += 4) v128.store(at(orow, j), f32x4.mul(v128.load(at(orow, j)), inv));
    for (; j < N; j++) store<f32>(at(orow, j), load<f32>(at(orow, j)) * f32x4.extract_lane(inv, 0));
  }
}

export function logSoftmaxRows(N: i32, x: usize, out: usize, lo: i32, hi: i32): void {
  for (let i = lo; i < hi; i++) {
    const row = x + <usize>i * <usize>N * 4, orow = out + <usize>i * <usize>N * 4;
    const m = rowMax(row, N);
    const lse = <f32>(<f64>m + Math.log(expShiftSum(row, N, m, 0)));
    for (let j = 0; j < N; j++) store<f32>(at(orow, j), load<f32>(at(row, j)) - lse);
  }
}

export function softmaxRowsBackward(N: i32, y: usize, dy: usize, dx: usize, lo: i32, hi: i32): void {
  for (let i = lo; i < hi; i++) {
    const off = <usize>i * <usize>N * 4;
    let s: f64 = 0;
    for (let j = 0; j < N; j++) s += <f64>load<f32>(at(dy + off, j)) * <f64>load<f32>(at(y + off, j));
    const s32 = <f32>s;
    for (let j = 0; j < N; j++) store<f32>(at(dx + off, j), load<f32>(at(y + off, j)) * (load<f32>(at(dy + off, j)) - s32));
  }
}

/** Per-row loss (float64, NaN marks ignored rows) into loss[]; dlogits as in Backend.crossEntropyRows. */
export function crossEntropyRows(N: i32, logits: usize, targets: usize, gradScale: f32, dlogits: usize, loss: usize, lo: i32, hi: i32): void {
  for (let i = lo; i < hi; i++) {
    const row = logits + <usize>i * <usize>N * 4, drow = dlogits + <usize>i * <usize>N * 4;
    const t = load<i32>(targets + <usize>i * 4);
    if (t < 0 || t >= N) {
      for (let j = 0; j < N; j++) store<f32>(at(drow, j), 0);
      store<f64>(loss + <usize>i * 8, t < 0 ? NaN : -Infinity); // -inf flags an out-of-range target
      continue;
    }
    const m = rowMax(row, N);
    const s = expShiftSum(row, N, m, drow);
    const lse = <f64>m + Math.log(s);
    store<f64>(loss + <usize>i * 8, lse - <f64>load<f32>(at(row, t)));
    const k = <f32>(1 / s) * gradScale;
    for (let j = 0; j < N; j++) store<f32>(at(drow, j), load<f32>(at(drow, j)) * k);
    store<f32>(at(drow, t), load<f32>(at(drow, t)) - gradScale);
  }
}

// ---- embeddings ----
export function gatherRows(D: i32, table: usize, ids: usize, out: usize, lo: i32, hi: i32): void {
  for (let i = lo; i < hi; i++) {
    const r = load<i32>(ids + <usize>i * 4);
    memory.copy(out + <usize>i * <usize>D * 4, table + <usize>r * <usize>D * 4, <usize>D * 4);
  }
}

/** dtable[ids[i], lo:hi] += dout[i, lo:hi] for all i (threads own column ranges). */
export function scatterAddRows(n: i32, D: i32, dout: usize, ids: usize, dtable: usize, lo: i32, hi: i32): void {
  for (let i = 0; i < n; i++) {
    const r = load<i32>(ids + <usize>i * 4);
    const src = dout + <usize>i * <usize>D * 4, dst = dtable + <usize>r * <usize>D * 4;
    let j = lo;
    for (; j + 4 <= hi; j += 4) v128.store(at(dst, j), f32x4.add(v128.load(at(dst, j)), v128.load(at(src, j))));
    for (; j < hi; j++) store<f32>(at(dst, j), load<f32>(at(dst, j)) + load<f32>(at(src, j)));
  }
}


// ---- BatchNorm of a bias-free Linear folded into it, rows [lo, hi) of W [N,K] ----
// scratch: (K*K + K + 2K) f64: the covariance as used below (diagonal halved, upper triangle), the
// input mean, and two genes' weights as f64x2 lanes.
export function linearBnFold(K: i32, W: usize, xMean: usize, xCov: usize, gamma: usize, beta: usize, eps: f64,
  Wf: usize, bf: usize, mean: usize, variance: usize, invStd: usize, scratch: usize, lo: i32, hi: i32): void {
  const C = scratch, zm = scratch + <usize>(K * K) * 8, w2 = zm + <usize>K * 8;
  for (let i = 0; i < K; i++) {
    store<f64>(zm + <usize>i * 8, <f64>load<f32>(xMean + <usize>i * 4));
    for (let j = i; j < K; j++) {
      // w^T C w = 2 * sum_i w_i (C_ii w_i / 2 + sum_{j>i} C_ij w_j): half the products of the full form
      const c = <f64>load<f32>(xCov + <usize>(i * K + j) * 4);
      store<f64>(C + <usize>(i * K + j) * 8, i == j ? 0.5 * c : c);
    }
  }
  let g = lo;
  for (; g + 2 <= hi; g += 2) {
    const r0 = W + <usize>g * <usize>K * 4, r1 = r0 + <usize>K * 4;
    for (let i = 0; i < K; i++) v128.store(w2 + <usize>i * 16, f64x2(<f64>load<f32>(r0 + <usize>i * 4), <f64>load<f32>(r1 + <usize>i * 4)));
    let mu = f64x2.splat(0), v = f64x2.splat(0);
    for (let i = 0; i < K; i++) {
      const wi = v128.load(w2 + <usize>i * 16);
      mu = f64x2.add(mu, f64x2.mul(wi, f64x2.splat(load<f64>(zm + <usize>i * 8))));
      let acc = f64x2.splat(0);
      for (let j = i; j < K; j++) acc = f64x2.add(acc, f64x2.mul(v128.load(w2 + <usize>j * 16), f64x2.splat(load<f64>(C + <usize>(i * K + j) * 8))));
      v = f64x2.add(v, f64x2.mul(wi, acc));
    }
    v = f64x2.add(v, v);
    foldRow(K, W, gamma, beta, eps, Wf, bf, mean, variance, invStd, g, f64x2.extract_lane(mu, 0), f64x2.extract_lane(v, 0));
    foldRow(K, W, gamma, beta, eps, Wf, bf, mean, variance, invStd, g + 1, f64x2.extract_lane(mu, 1), f64x2.extract_lane(v, 1));
  }
  for (; g < hi; g++) {
    const r = W + <usize>g * <usize>K * 4;
    let mu: f64 = 0, v: f64 = 0;
    for (let i = 0; i < K; i++) {
      const wi = <f64>load<f32>(r + <usize>i * 4);
      mu += wi * load<f64>(zm + <usize>i * 8);
      let acc: f64 = 0;
      for (let j = i; j < K; j++) acc += <f64>load<f32>(r + <usize>j * 4) * load<f64>(C + <usize>(i * K + j) * 8);
      v += wi * acc;
    }
    foldRow(K, W, gamma, beta, eps, Wf, bf, mean, variance, invStd, g, mu, v + v);
  }
}

@inline function foldRow(K: i32, W: usize, gamma: usize, beta: usize, eps: f64, Wf: usize, bf: usize, mean: usize, variance: usize, invStd: usize, g: i32, mu: f64, v: f64): void {
  const is = 1 / Math.sqrt(v + eps);
  const a = <f64>load<f32>(at(gamma, g)) * is;
  store<f32>(at(mean, g), <f32>mu);
  store<f32>(at(variance, g), <f32>v);
  store<f32>(at(invStd, g), <f32>is);
  store<f32>(at(bf, g), <f32>(<f64>load<f32>(at(beta, g)) - a * mu));
  const r = W + <usize>g * <usize>K * 4, o = Wf + <usize>g * <usize>K * 4;
  for (let i = 0; i < K; i++) store<f32>(o + <usize>i * 4, <f32>(a * <f64>load<f32>(r + <usize>i * 4)));
}
