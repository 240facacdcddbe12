// Elementwise kernels over the element range [lo, hi). Op codes match UNARY_OPS in backends/wasmOps.ts.
import { vgammaFamily, vexp, vlog, vlog1p, vexpm1, vsigmoid, vsoftplus, vtanh, vgelu, vgeluGrad, lgamma64, digamma64, trigamma64 } from './vmath';

@inline function sp(x: f32): v128 {
  return f32x4.splat(x);
}

function unaryVec(op: i32, x: v128): v128 {
  switch (op) {
    case 0: return vexp(x);
    case 1: return vlog(x);
    case 2: return vlog1p(x);
    case 3: return vexpm1(x);
    case 4: return f32x4.sqrt(x);
    case 5: return f32x4.div(sp(1.0), f32x4.sqrt(x));
    case 6: return f32x4.neg(x);
    case 7: return f32x4.abs(x);
    case 8: return f32x4.mul(x, x);
    case 9: return vsigmoid(x);
    case 10: return vsoftplus(x);
    case 11: return vtanh(x);
    case 12: return f32x4.max(x, sp(0));
    case 13: return vgelu(x);
    default: return x;
  }
}

// One loop per op (the switch sits outside the loop so each body inlines its polynomial).
function unaryMain(op: i32, px: usize, po: usize, lo: i32, hi: i32): i32 {
  let i = lo;
  switch (op) {
    case 0:
      for (; i + 4 <= hi; i += 4) { const x = v128.load(px + <usize>i * 4); v128.store(po + <usize>i * 4, vexp(x)); }
      break;
    case 1:
      for (; i + 4 <= hi; i += 4) { const x = v128.load(px + <usize>i * 4); v128.store(po + <usize>i * 4, vlog(x)); }
      break;
    case 2:
      for (; i + 4 <= hi; i += 4) {
        const x = v128.load(px + <usize>i * 4);
        if (!log1pTable) {
          v128.store(po + <usize>i * 4, vlog1p(x));
          continue;
        }
        // lanes holding a whole number in [0, LOG1P_N) (counts) read the table: correctly rounded, and cheaper
        const k = i32x4.trunc_sat_f32x4_s(x);
        const count = v128.and(v128.and(f32x4.eq(f32x4.convert_i32x4_s(k), x), i32x4.lt_u(k, i32x4.splat(LOG1P_N))), i32x4.ge_s(x, i32x4.splat(0)));
        if (!v128.any_true(count)) {
          v128.store(po + <usize>i * 4, vlog1p(x));
          continue;
        }
        const kc = v128.and(k, count), t = log1pTable;
        const tv = f32x4(load<f32>(t + <usize>i32x4.extract_lane(kc, 0) * 4), load<f32>(t + <usize>i32x4.extract_lane(kc, 1) * 4),
          load<f32>(t + <usize>i32x4.extract_lane(kc, 2) * 4), load<f32>(t + <usize>i32x4.extract_lane(kc, 3) * 4));
        v128.store(po + <usize>i * 4, i32x4.all_true(count) ? tv : v128.bitselect(tv, vlog1p(x), count));
      }
      break;
    case 3:
      for (; i + 4 <= hi; i += 4) { const x = v128.load(px + <usize>i * 4); v128.store(po + <usize>i * 4, vexpm1(x)); }
      break;
    case 4:
      for (; i + 4 <= hi; i += 4) { const x = v128.load(px + <usize>i * 4); v128.store(po + <usize>i * 4, f32x4.sqrt(x)); }
      break;
    case 5:
      for (; i + 4 <= hi; i += 4) { const x = v128.load(px + <usize>i * 4); v128.store(po + <usize>i * 4, f32x4.div(sp(1.0), f32x4.sqrt(x))); }
      break;
    case 6:
      for (; i + 4 <= hi; i += 4) { const x = v128.load(px + <usize>i * 4); v128.store(po + <usize>i * 4, f32x4.neg(x)); }
      break;
    case 7:
      for (; i + 4 <= hi; i += 4) { const x = v128.load(px + <usize>i * 4); v128.store(po + <usize>i * 4, f32x4.abs(x)); }
      break;
    case 8:
      for (; i + 4 <= hi; i += 4) { const x = v128.load(px + <usize>i * 4); v128.store(po + <usize>i * 4, f32x4.mul(x, x)); }
      break;
    case 9:
      for (; i + 4 <= hi; i += 4) { const x = v128.load(px + <usize>i * 4); v128.store(po + <usize>i * 4, vsigmoid(x)); }
      break;
    case 10:
      for (; i + 4 <= hi; i += 4) { const x = v128.load(px + <usize>i * 4); v128.store(po + <usize>i * 4, vsoftplus(x)); }
      break;
    case 11:
      for (; i + 4 <= hi; i += 4) { const x = v128.load(px + <usize>i * 4); v128.store(po + <usize>i * 4, vtanh(x)); }
      break;
    case 12:
      for (; i + 4 <= hi; i += 4) { const x = v128.load(px + <usize>i * 4); v128.store(po + <usize>i * 4, f32x4.max(x, sp(0))); }
      break;
    case 13:
      for (; i + 4 <= hi; i += 4) { const x = v128.load(px + <usize>i * 4); v128.store(po + <usize>i * 4, vgelu(x)); }
      break;
    default: break;
  }
  return i;
}

// fround(log1p(i)) for whole i < LOG1P_N, written by the host (backends/wasm.ts); 0 = none yet
const LOG1P_N = 4096;
let log1pTable: usize = 0;

export function unary(op: i32, x: usize, out: usize, lo: i32, hi: i32, table: usize): void {
  log1pTable = table;
  if (op == 14 || op == 15) {
    const which = op - 14;
    let i = lo;
    for (; i + 4 <= hi; i += 4) v128.store(out + <usize>i * 4, vgammaFamily(which, v128.load(x + <usize>i * 4)));
    for (; i < hi; i++) {
      const v = <f64>load<f32>(x + <usize>i * 4);
      store<f32>(out + <usize>i * 4, <f32>(op == 14 ? lgamma64(v) : digamma64(v)));
    }
    return;
  }
  let i = unaryMain(op, x, out, lo, hi);
  for (; i < hi; i++) {
    const xi = load<f32>(x + <usize>i * 4);
    const k = <i32>xi;
    if (op == 2 && table && <f32>k == xi && k >= 0 && k < LOG1P_N && reinterpret<i32>(xi) >= 0) {
      store<f32>(out + <usize>i * 4, load<f32>(table + <usize>k * 4));
      continue;
    }
    store<f32>(out + <usize>i * 4, f32x4.extract_lane(unaryVec(op, f32x4.splat(xi)), 0));
  }
}

// f'(x) for the ops of Backend.unaryBackward.
function derivVec(op: i32, x: v128): v128 {
  switch (op) {
    case 0: return vexp(x);
    case 1: return f32x4.div(sp(1.0), x);
    case 2: return f32x4.div(sp(1.0), f32x4.add(x, sp(1.0)));
    case 3: return vexp(x);
    case 4: return f32x4.div(sp(0.5), f32x4.sqrt(x));
    case 5: return f32x4.div(sp(-0.5), f32x4.mul(x, f32x4.sqrt(x)));
    case 6: return sp(-1.0);
    case 7: return v128.bitselect(sp(1.0), v128.bitselect(sp(-1.0), sp(0), f32x4.lt(x, sp(0))), f32x4.gt(x, sp(0)));
    case 8: return f32x4.add(x, x);
    case 9: { // s(1-s) = e / (1+e)^2 with e = exp(-|x|): no cancellation for large |x|
      const e = vexp(f32x4.neg(f32x4.abs(x)));
      const d = f32x4.add(sp(1.0), e);
      return f32x4.div(e, f32x4.mul(d, d));
    }
    case 10: return vsigmoid(x);
    case 11: { // 1 - tanh^2 = 4e / (1+e)^2 with e = exp(-2|x|)
      const e = vexp(f32x4.mul(f32x4.abs(x), sp(-2.0)));
      const d = f32x4.add(sp(1.0), e);
      return f32x4.div(f32x4.mul(sp(4.0), e), f32x4.mul(d, d));
    }
    case 12: return v128.and(sp(1.0), f32x4.gt(x, sp(0)));
    case 13: return vgeluGrad(x);
    default: return sp(0);
  }
}

export function unaryBackward(op: i32, x: usize, dy: usize, dx: usize, lo: i32, hi: i32): void {
  if (op == 14) {
    let i = lo;
    for (; i + 4 <= hi; i += 4) {
      const o = <usize>i * 4;
      v128.store(dx + o, f32x4.mul(v128.load(dy + o), vgammaFamily(1, v128.load(x + o))));
    }
    for (; i < hi; i++) {
      const o = <usize>i * 4;
      store<f32>(dx + o, <f32>(<f64>load<f32>(dy + o) * digamma64(<f64>load<f32>(x + o))));
    }
    return;
  }
  if (op == 15) {
    for (let i = lo; i < hi; i++) {
      const v = <f64>load<f32>(x + <usize>i * 4);
      const d = trigamma64(v);
      store<f32>(dx + <usize>i * 4, <f32>(<f64>load<f32>(dy + <usize>i * 4) * d));
    }
    return;
  }
  let i = lo;
  for (; i + 4 <= hi; i += 4) {
    const o = <usize>i * 4;
    v128.store(dx + o, f32x4.mul(v128.load(dy + o), derivVec(op, v128.load(x + o))));
  }
  for (; i < hi; i++) {
    const o = <usize>i * 4;
    const d = derivVec(op, f32x4.splat(load<f32>(x + o)));
    store<f32>(dx + o, load<f32>(dy + o) * f32x4.extract_lane(d, 0));
  }
}

@inline function binVec(op: i32, a: v128, b: v128): v128 {
  switch (op) {
    case 0: return f32x4.add(a, b);
    case 1: return f32x4.sub(a, b);
    case 2: return f32x4.mul(a, b);
    case 3: return f32x4.div(a, b);
    case 4: return f32x4.max(a, b);
    default: return f32x4.min(a, b);
  }
}

export function binary(op: i32, a: usize, b: usize, out: usize, lo: i32, hi: i32): void {
  let i = lo;
  for (; i + 4 <= hi; i += 4) {
    const o = <usize>i * 4;
    v128.store(out + o, binVec(op, v128.load(a + o), v128.load(b + o)));
  }
  for (; i < hi; i++) {
    const o = <usize>i * 4;
    store<f32>(out + o, f32x4.extract_lane(binVec(op, f32x4.splat(load<f32>(a + o)), f32x4.splat(load<f32>(b + o))), 0));
  }
}

export function axpby(a: f32, x: usize, b: f32, y: usize, out: usize, lo: i32, hi: i32): void {
  const va = sp(a), vb = sp(b);
  let i = lo;
  for (; i + 4 <= hi; i += 4) {
    const o = <usize>i * 4;
    v128.store(out + o, f32x4.add(f32x4.mul(va, v128.load(x + o)), f32x4.mul(vb, v128.load(y + o))));
  }
  for (; i < hi; i++) {
    const o = <usize>i * 4;
    store<f32>(out + o, a * load<f32>(x + o) + b * load<f32>(y + o));
  }
}

export function fill(value: f32, out: usize, lo: i32, hi: i32): void {
  const v = sp(value);
  let i = lo;
  for (; i + 4 <= hi; i += 4) v128.store(out + <usize>i * 4, v);
  for (; i < hi; i++) store<f32>(out + <usize>i * 4, value);
}

/** X[M,N] += bias[N] for rows [lo, hi). */
export function addRowVector(N: i32, X: usize, bias: usize, lo: i32, hi: i32): void {
  for (let r = lo; r < hi; r++) {
    const row = X + <usize>r * <usize>N * 4;
    let j = 0;
    for (; j + 4 <= N; j += 4) v128.store(row + <usize>j * 4, f32x4.add(v128.load(row + <usize>j * 4), v128.load(bias + <usize>j * 4)));
    for (; j < N; j++) store<f32>(row + <usize>j * 4, load<f32>(row + <usize>j * 4) + load<f32>(bias + <usize>j * 4));
  }
}

/** out[j] = beta*out[j] + sum_i X[i,j] for columns [lo, hi); float64 accumulators in acc (scratch). */
export function sumRows(M: i32, N: i32, X: usize, beta: f32, out: usize, acc: usize, lo: i32, hi: i32): void {
  for (let j = lo; j < hi; j++) store<f64>(acc + <usize>(j - lo) * 8, 0);
  for (let i = 0; i < M; i++) {
    const row = X + <usize>i * <usize>N * 4;
    let j = lo;
    for (; j + 2 <= hi; j += 2) {
      const a = acc + <usize>(j - lo) * 8;
      v128.store(a, f64x2.add(v128.load(a), f64x2.promote_low_f32x4(v128.load64_zero(row + <usize>j * 4))));
    }
    for (; j < hi; j++) {
      const a = acc + <usize>(j - lo) * 8;
      store<f64>(a, load<f64>(a) + <f64>load<f32>(row + <usize>j * 4));
    }
  }
  for (let j = lo; j < hi; j++) {
    const s = load<f64>(acc + <usize>(j - lo) * 8);
    const o = out + <usize>j * 4;
    store<f32>(o, <f32>(beta == 0 ? s : <f64>beta * <f64>load<f32>(o) + s));
  }
}

/**
 * Float64 sums of x (or x^2) over fixed chunks of CHUNK elements: partial[c] for chunks [lo, hi).
 * The caller adds the partials in chunk order, so the result is the same for any thread count.
 */
export const SUM_CHUNK: i32 = 4096;
export function sumChunks(n: i32, x: usize, squares: i32, partial: usize, lo: i32, hi: i32): void {
  for (let c = lo; c < hi; c++) {
    const i0 = c * SUM_CHUNK;
    const i1 = min(n, i0 + SUM_CHUNK);
    let a0 = f64x2.splat(0), a1 = f64x2.splat(0);
    let i = i0;
    for (; i + 4 <= i1; i += 4) {
      const v = v128.load(x + <usize>i * 4);
      let lo2 = f64x2.promote_low_f32x4(v);
      let hi2 = f64x2.promote_low_f32x4(v128.shuffle<f32>(v, v, 2, 3, 2, 3));
      if (squares) {
        lo2 = f64x2.mul(lo2, lo2);
        hi2 = f64x2.mul(hi2, hi2);
      }
      a0 = f64x2.add(a0, lo2);
      a1 = f64x2.add(a1, hi2);
    }
    let s = f64x2.extract_lane(a0, 0) + f64x2.extract_lane(a0, 1) + f64x2.extract_lane(a1, 0) + f64x2.extract_lane(a1, 1);
    for (; i < i1; i++) {
      const v = <f64>load<f32>(x + <usize>i * 4);
      s += squares ? v * v : v;
    }
    store<f64>(partial + <usize>c * 8, s);
  }
}

@inline function fmix32(h: u32): u32 {
  h ^= h >>> 16;
  h *= 0x85ebca6b;
  h ^= h >>> 13;
  h *= 0xc2b2ae35;
  h ^= h >>> 16;
  return h;
}

/** Same formula as hashUniform of src/data/rng.ts: keep_i = ((h >>> 8) / 2^24) >= p. */
export function dropout(p: f64, seed: u32, offset: u32, scale: f32, x: usize, out: usize, mask: usize, lo: i32, hi: i32): void {
  const s = fmix32(seed);
  for (let i = lo; i < hi; i++) {
    const h = fmix32(s ^ ((offset + <u32>i) * 0x9e3779b1));
    const keep = <f64>(h >>> 8) / 16777216.0 >= p;
    const o = <usize>i * 4;
    store<f32>(out + o, keep ? load<f32>(x + o) * scale : 0);
    if (mask) store<f32>(mask + o, keep ? 1 : 0);
  }
}

/** Adam / AdamW over [lo, hi); scalars precomputed by the caller in float64 (see wasm.ts). */
// oneMinusBeta1/2 come from float64 (1 - f32(0.999) in float32 is off by 1e-5 relative).
export function adamStep(param: usize, grad: usize, m: usize, v: usize, beta1: f32, beta2: f32, oneMinusBeta1: f32, oneMinusBeta2: f32,
  eps: f32, weightDecay: f32, decoupled: i32, decay: f32, stepSize: f32, invSqrtBc2: f32, lo: i32, hi: i32): void {
  const o = <usize>lo * 4;
  adamSpan(param + o, grad + o, m + o, v + o, hi - lo, beta1, beta2, oneMinusBeta1, oneMinusBeta2, eps, weightDecay, decoupled, decay, stepSize, invSqrtBc2);
}

/**
 * adamStep over elements [lo, hi) of the concatenation of `count` tensors described by `table`
 * (per tensor i32: param, grad, m, v pointers and length).
 */
export function adamSteps(table: usize, count: i32, beta1: f32, beta2: f32, oneMinusBeta1: f32, oneMinusBeta2: f32,
  eps: f32, weightDecay: f32, decoupled: i32, decay: f32, stepSize: f32, invSqrtBc2: f32, lo: i32, hi: i32): void {
  let start = 0;
  for (let t = 0; t < count && start < hi; t++) {
    const e = table + <usize>t * 20;
    const n = load<i32>(e, 16);
    const a = max(lo, start), b = min(hi, start + n);
    if (a < b) {
      const o = <usize>(a - start) * 4;
      adamSpan(<usize>load<i32>(e) + o, <usize>load<i32>(e, 4) + o, <usize>load<i32>(e, 8) + o, <usize>load<i32>(e, 12) + o, b - a,
        beta1, beta2, oneMinusBeta1, oneMinusBeta2, eps, weightDecay, decoupled, decay, stepSize, invSqrtBc2);
    }
    start += n;
  }
}

/** adamStep on n contiguous elements (also the second half of sparse.ts spmmAdam). The grad is only read. */
@inline export function adamSpan(param: usize, grad: usize, m: usize, v: usize, n: i32, beta1: f32, beta2: f32, oneMinusBeta1: f32, oneMinusBeta2: f32,
  eps: f32, weightDecay: f32, decoupled: i32, decay: f32, stepSize: f32, invSqrtBc2: f32): void {
  const b1 = sp(beta1), c1 = sp(oneMinusBeta1), b2 = sp(beta2), c2 = sp(oneMinusBeta2), ve = sp(eps), wd = sp(weightDecay);
  const vdecay = sp(decay), vstep = sp(stepSize), vinv = sp(invSqrtBc2);
  let i = 0;
  for (; i + 4 <= n; i += 4) {
    const o = <usize>i * 4;
    let p = v128.load(param + o);
    let g = v128.load(grad + o);
    if (decoupled) p = f32x4.mul(p, vdecay);
    else g = f32x4.add(g, f32x4.mul(wd, p));
    const mi = f32x4.add(f32x4.mul(b1, v128.load(m + o)), f32x4.mul(c1, g));
    const vi = f32x4.add(f32x4.mul(b2, v128.load(v + o)), f32x4.mul(c2, f32x4.mul(g, g)));
    v128.store(m + o, mi);
    v128.store(v + o, vi);
    v128.store(param + o, f32x4.sub(p, f32x4.div(f32x4.mul(vstep, mi), f32x4.add(f32x4.mul(f32x4.sqrt(vi), vinv), ve))));
  }
  for (; i < n; i++) {
    const o = <usize>i * 4;
    let p = load<f32>(param + o);
    let g = load<f32>(grad + o);
    if (decoupled) p *= decay;
    else g += weightDecay * p;
    const mi = beta1 * load<f32>(m + o) + oneMinusBeta1 * g;
    const vi = beta2 * load<f32>(v + o) + oneMinusBeta2 * (g * g);
    store<f32>(m + o, mi);
    store<f32>(v + o, vi);
    store<f32>(param + o, p - (stepSize * mi) / (Mathf.sqrt(vi) * invSqrtBc2 + eps));
  }
}
