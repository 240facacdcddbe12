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
  // Same float64 operations, in the same order per element, as the scalar definition; the columns
  // are just taken two float64 lanes at a time. acc: 3*(hi-lo) f64 (sum dy, sum dy*xhat, gamma*invStd/M).
  const w = hi - lo;
  const sdy = acc, sdyx = acc + <usize>w * 8, kk = acc + <usize>w * 16;
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
    store<f32>(at(dbeta, j), load<f32>(at(dbeta, j)) + <f32>load<f64>(sdy + <usize>(j - lo) * 8));
    store<f32>(at(dgamma, j), load<f32>(at(dgamma, j)) + <f32>load<f64>(sdyx + <usize>(j - lo) * 8));
    store<f64>(kk + <usize>(j - lo) * 8, <f64>load<f32>(at(gamma, j)) * <f64>load<f32>(at(invStd, j)) / <f64>M);
  }
  const vM = f64x2.splat(<f64>M);
  for (let i = 0; i < M; i++) {
    const off = <usize>i * <usize>N * 4;
    let j = lo;
    for (; j < w4; j += 4) {
      const gv = v128.load(at(dy + off, j));
      const xv = v128.load(at(x + off, j));
      const mv = v128.load(at(mean, j));
      const iv = v128.load(at(invStd, j));
      const xh0 = f64x2.mul(f64x2.sub(f64x2.promote_low_f32x4(xv), f64x2.promote_low_f32x4(mv)), f64x2.promote_low_f32x4(iv));
      const xh1 = f64x2.mul(f64x2.sub(f64x2.promote_low_f32x4(v128.shuffle<f32>(xv, xv, 2, 3, 2, 3)), f64x2.promote_low_f32x4(v128.shuffle<f32>(mv, mv, 2, 3, 2, 3))),
        f64x2.promote_low_f32x4(v128.shuffle<f32>(iv, iv, 2, 3, 2, 3)));
      const q = <usize>(j - lo) * 8;
      const v0 = f64x2.mul(v128.load(kk + q), f64x2.sub(f64x2.sub(f64x2.mul(vM, f64x2.promote_low_f32x4(gv)), v128.load(sdy + q)), f64x2.mul(xh0, v128.load(sdyx + q))));
      const v1 = f64x2.mul(v128.load(kk + q, 16), f64x2.sub(f64x2.sub(f64x2.mul(vM, f64x2.promote_low_f32x4(v128.shuffle<f32>(gv, gv, 2, 3, 2, 3))), v128.load(sdy + q, 16)),
        f64x2.mul(xh1, v128.load(sdyx + q, 16))));
      v128.store(at(dx + off, j), v128.shuffle<f32>(f32x4.demote_f64x2_zero(v0), f32x4.demote_f64x2_zero(v1), 0, 1, 4, 5));
    }
    for (; j < hi; j++) {
      const is = <f64>load<f32>(at(invStd, j));
      const xh = (<f64>load<f32>(at(x + off, j)) - <f64>load<f32>(at(mean, j))) * is;
      const v = load<f64>(kk + <usize>(j - lo) * 8) * (<f64>M * <f64>load<f32>(at(dy + off, j)) - load<f64>(sdy + <usize>(j - lo) * 8) - xh * load<f64>(sdyx + <usize>(j - lo) * 8));
      store<f32>(at(dx + off, j), <f32>v);
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
  let a0 = f64x2.splat(0), a1 = f64x2.splat(0);
  let j = 0;
  for (; j + 4 <= N; j += 4) {
    const e = vexpNeg(f32x4.sub(v128.load(at(row, j)), vm)); // x - max <= 0
    if (out) v128.store(at(out, j), e);
    a0 = f64x2.add(a0, f64x2.promote_low_f32x4(e));
    a1 = f64x2.add(a1, f64x2.promote_low_f32x4(v128.shuffle<f32>(e, e, 2, 3, 2, 3)));
  }
  let s = f64x2.extract_lane(a0, 0) + f64x2.extract_lane(a0, 1) + f64x2.extract_lane(a1, 0) + f64x2.extract_lane(a1, 1);
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

