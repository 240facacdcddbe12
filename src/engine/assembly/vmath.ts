// Vectorised float32 special functions on f32x4 (Cephes-style polynomials), plus scalar float64
// lgamma / digamma / trigamma. Max relative errors (measured against float64 in the tests):
// exp, log ~2e-7; log1p, expm1 ~3e-7; gelu/erfc ~1e-6 for |x| < 5.

@inline export function madd(a: v128, b: v128, c: v128): v128 {
  if (ASC_FEATURE_RELAXED_SIMD) return f32x4.relaxed_madd(a, b, c);
  return f32x4.add(f32x4.mul(a, b), c);
}

@inline function sp(x: f32): v128 {
  return f32x4.splat(x);
}

// Splatted constants of the hot polynomials (exp, log) in static memory: V8 builds each v128.const
// inside a loop from two 64-bit immediates (about four instructions per use), a load from here is one.
const KF = memory.data<f32>([
  88.72283935546875, 88.72283935546875, 88.72283935546875, 88.72283935546875,
  -86.5, -86.5, -86.5, -86.5,
  1.44269504088896341, 1.44269504088896341, 1.44269504088896341, 1.44269504088896341,
  12582912.0, 12582912.0, 12582912.0, 12582912.0,
  0.693359375, 0.693359375, 0.693359375, 0.693359375,
  -2.12194440e-4, -2.12194440e-4, -2.12194440e-4, -2.12194440e-4,
  1.9875691500e-4, 1.9875691500e-4, 1.9875691500e-4, 1.9875691500e-4,
  1.3981999507e-3, 1.3981999507e-3, 1.3981999507e-3, 1.3981999507e-3,
  8.3334519073e-3, 8.3334519073e-3, 8.3334519073e-3, 8.3334519073e-3,
  4.1665795894e-2, 4.1665795894e-2, 4.1665795894e-2, 4.1665795894e-2,
  1.6666665459e-1, 1.6666665459e-1, 1.6666665459e-1, 1.6666665459e-1,
  5.0000001201e-1, 5.0000001201e-1, 5.0000001201e-1, 5.0000001201e-1,
  1.0, 1.0, 1.0, 1.0,
  Infinity, Infinity, Infinity, Infinity,
  0.707106781186547524, 0.707106781186547524, 0.707106781186547524, 0.707106781186547524,
  7.0376836292e-2, 7.0376836292e-2, 7.0376836292e-2, 7.0376836292e-2,
  -1.1514610310e-1, -1.1514610310e-1, -1.1514610310e-1, -1.1514610310e-1,
  1.1676998740e-1, 1.1676998740e-1, 1.1676998740e-1, 1.1676998740e-1,
  -1.2420140846e-1, -1.2420140846e-1, -1.2420140846e-1, -1.2420140846e-1,
  1.4249322787e-1, 1.4249322787e-1, 1.4249322787e-1, 1.4249322787e-1,
  -1.6668057665e-1, -1.6668057665e-1, -1.6668057665e-1, -1.6668057665e-1,
  2.0000714765e-1, 2.0000714765e-1, 2.0000714765e-1, 2.0000714765e-1,
  -2.4999993993e-1, -2.4999993993e-1, -2.4999993993e-1, -2.4999993993e-1,
  3.3333331174e-1, 3.3333331174e-1, 3.3333331174e-1, 3.3333331174e-1,
  -0.5, -0.5, -0.5, -0.5,
], 16);
const KI = memory.data<i32>([
  127, 127, 127, 127,
  0x4b400000, 0x4b400000, 0x4b400000, 0x4b400000,
  126, 126, 126, 126,
  0x807fffff, 0x807fffff, 0x807fffff, 0x807fffff,
  0x3f000000, 0x3f000000, 0x3f000000, 0x3f000000,
  0x00800000, 0x00800000, 0x00800000, 0x00800000,
  0x7f000000, 0x7f000000, 0x7f000000, 0x7f000000,
], 16);
@inline function kf(i: i32): v128 {
  return v128.load(KF + <usize>(i << 4));
}
@inline function ki(i: i32): v128 {
  return v128.load(KI + <usize>(i << 4));
}

/** 2^n for integer-valued n in [-126, 127] (as i32x4). */
@inline function pow2i(n: v128): v128 {
  return i32x4.shl(i32x4.add(n, ki(0)), 23);
}

/**
 * exp(x): +inf above 88.72, NaN kept, and 0 below -86.5: results under 2.6e-38 are flushed to zero
 * because denormal arithmetic costs ~100 cycles per operation on x86 (softmax tails hit it often).
 */
@inline export function vexp(x: v128): v128 {
  // pmin/pmax lower to single minps/maxps (the NaN-propagating min/max take ~5 instructions in V8);
  // a NaN input is restored by the final select.
  const xc = f32x4.pmax(f32x4.pmin(x, kf(0)), kf(1));
  // n = round(x / ln 2) by the 1.5*2^23 trick: the integer sits in the low mantissa bits of j.
  const j = madd(xc, kf(2), kf(3));
  const fx = f32x4.sub(j, kf(3));
  let r = f32x4.sub(xc, f32x4.mul(fx, kf(4)));
  r = f32x4.sub(r, f32x4.mul(fx, kf(5)));
  const z = f32x4.mul(r, r);
  let y = madd(kf(6), r, kf(7));
  y = madd(y, r, kf(8));
  y = madd(y, r, kf(9));
  y = madd(y, r, kf(10));
  y = madd(y, r, kf(11));
  y = f32x4.add(madd(y, z, r), kf(12));
  // Scale by 2^n in two steps so that n = 128 (x near 88.7) does not overflow the exponent field.
  const n = i32x4.sub(j, ki(1));
  const n1 = i32x4.shr_s(n, 1);
  const n2 = i32x4.sub(n, n1);
  y = f32x4.mul(f32x4.mul(y, pow2i(n1)), pow2i(n2));
  y = v128.bitselect(kf(13), y, f32x4.gt(x, kf(0)));
  y = v128.bitselect(sp(0), y, f32x4.lt(x, kf(1)));
  return v128.bitselect(x, y, f32x4.ne(x, x));
}

/**
 * vexp for lanes x <= 0 or NaN (softmax after subtracting the row max): the same values as vexp
 * there, without the overflow clamp and the two-step scaling (n in [-125, 0]: y 2^n is normal, so
 * one exact multiplication gives the same bits).
 */
@inline export function vexpNeg(x: v128): v128 {
  const xc = f32x4.pmax(x, kf(1)); // NaN stays NaN (pmax returns its first operand unless b > a)
  const j = madd(xc, kf(2), kf(3));
  const fx = f32x4.sub(j, kf(3));
  let r = f32x4.sub(xc, f32x4.mul(fx, kf(4)));
  r = f32x4.sub(r, f32x4.mul(fx, kf(5)));
  const z = f32x4.mul(r, r);
  let y = madd(kf(6), r, kf(7));
  y = madd(y, r, kf(8));
  y = madd(y, r, kf(9));
  y = madd(y, r, kf(10));
  y = madd(y, r, kf(11));
  y = f32x4.add(madd(y, z, r), kf(12));
  y = f32x4.mul(y, pow2i(i32x4.sub(j, ki(1))));
  return v128.bitselect(f32x4.splat(0), y, f32x4.lt(x, kf(1)));
}

/** log of positive, normal, finite lanes (Cephes logf polynomial). */
@inline function vlogCore(x: v128): v128 {
  let e = f32x4.convert_i32x4_s(i32x4.sub(i32x4.shr_u(x, 23), ki(2)));
  let m = v128.or(v128.and(x, ki(3)), ki(4)); // [0.5, 1)
  const lt = f32x4.lt(m, kf(14));
  e = f32x4.sub(e, v128.and(lt, kf(12)));
  m = f32x4.sub(f32x4.add(m, v128.and(lt, m)), kf(12));
  const z = f32x4.mul(m, m);
  let y = madd(kf(15), m, kf(16));
  y = madd(y, m, kf(17));
  y = madd(y, m, kf(18));
  y = madd(y, m, kf(19));
  y = madd(y, m, kf(20));
  y = madd(y, m, kf(21));
  y = madd(y, m, kf(22));
  y = madd(y, m, kf(23));
  y = f32x4.mul(f32x4.mul(y, m), z);
  y = madd(e, kf(5), y);
  y = madd(z, kf(24), y);
  return madd(e, kf(4), f32x4.add(m, y));
}

/** true in lanes holding a positive, normal, finite float */
@inline function normalPos(x: v128): v128 {
  return i32x4.lt_u(i32x4.sub(x, ki(5)), ki(6));
}

/** Natural log: NaN below 0, -inf at 0, +inf at +inf; denormals handled. */
@inline export function vlog(x0: v128): v128 {
  if (i32x4.all_true(normalPos(x0))) return vlogCore(x0);
  return vlogSlow(x0);
}

function vlogSlow(x0: v128): v128 {
  // Denormals: scale up by 2^23 first and take 23 off the result.
  const tiny = f32x4.lt(x0, sp(1.17549435e-38));
  const x = v128.bitselect(f32x4.mul(x0, sp(8388608.0)), x0, tiny);
  let r = vlogCore(v128.bitselect(sp(1.0), x, f32x4.le(x, sp(0))));
  r = v128.bitselect(f32x4.sub(r, sp(15.942385152878742)), r, v128.and(tiny, f32x4.gt(x0, sp(0)))); // 23 ln 2
  r = v128.bitselect(sp(-Infinity), r, f32x4.eq(x0, sp(0)));
  r = v128.bitselect(sp(Infinity), r, f32x4.eq(x0, sp(Infinity)));
  r = v128.bitselect(sp(NaN), r, f32x4.lt(x0, sp(0)));
  return v128.bitselect(x0, r, f32x4.ne(x0, x0)); // NaN in, NaN out
}

/** log(1+x) = log(u) * x / (u - 1) with u = 1 + x (exact correction of the rounding of u). */
@inline export function vlog1p(x: v128): v128 {
  const u = f32x4.add(x, sp(1.0));
  const d = f32x4.sub(u, sp(1.0));
  if (i32x4.all_true(normalPos(u))) {
    return v128.bitselect(x, f32x4.mul(vlogCore(u), f32x4.div(x, d)), f32x4.eq(d, sp(0)));
  }
  let r = f32x4.mul(vlogSlow(u), f32x4.div(x, d));
  r = v128.bitselect(x, r, f32x4.eq(d, sp(0)));
  r = v128.bitselect(sp(Infinity), r, f32x4.eq(x, sp(Infinity)));
  return v128.bitselect(sp(-Infinity), r, f32x4.eq(x, sp(-1.0)));
}

/** exp(x) - 1 = (u - 1) * x / log(u) with u = exp(x) (Kahan's trick). */
export function vexpm1(x: v128): v128 {
  const u = vexp(x);
  const um1 = f32x4.sub(u, sp(1.0));
  let r = f32x4.div(f32x4.mul(um1, x), vlog(u));
  r = v128.bitselect(x, r, f32x4.eq(um1, sp(0)));
  r = v128.bitselect(sp(-1.0), r, f32x4.eq(um1, sp(-1.0)));
  return v128.bitselect(sp(Infinity), r, f32x4.gt(x, sp(88.7)));
}

export function vsigmoid(x: v128): v128 {
  return f32x4.div(sp(1.0), f32x4.add(sp(1.0), vexp(f32x4.neg(x))));
}

export function vsoftplus(x: v128): v128 {
  return f32x4.add(f32x4.max(x, sp(0)), vlog1p(vexp(f32x4.neg(f32x4.abs(x)))));
}

export function vtanh(x: v128): v128 {
  const ax = f32x4.abs(x);
  // |x| < 0.625: odd polynomial (Cephes tanhf); else 1 - 2 / (exp(2|x|) + 1) with the sign restored.
  const z = f32x4.mul(x, x);
  let p = madd(sp(-5.70498872745e-3), z, sp(2.06390887954e-2));
  p = madd(p, z, sp(-5.37397155531e-2));
  p = madd(p, z, sp(1.33314422036e-1));
  p = madd(p, z, sp(-3.33332819422e-1));
  const small = madd(f32x4.mul(p, z), x, x);
  const e = vexp(f32x4.add(ax, ax));
  let big = f32x4.sub(sp(1.0), f32x4.div(sp(2.0), f32x4.add(e, sp(1.0))));
  big = v128.or(big, v128.and(x, i32x4.splat(0x80000000))); // copysign
  return v128.bitselect(small, big, f32x4.lt(ax, sp(0.625)));
}

/**
 * erfc(z) for z >= 0 (Numerical Recipes erfcc form, fractional error < 1.2e-7 in exact arithmetic);
 * 0 for z > 9 (erfc(9) = 4e-37; keeps every intermediate a normal float).
 */
@inline export function verfcPos(z0: v128): v128 {
  const z = f32x4.min(z0, sp(9.0));
  const t = f32x4.div(sp(1.0), madd(sp(0.5), z, sp(1.0)));
  let p = madd(sp(0.17087277), t, sp(-0.82215223));
  p = madd(p, t, sp(1.48851587));
  p = madd(p, t, sp(-1.13520398));
  p = madd(p, t, sp(0.27886807));
  p = madd(p, t, sp(-0.18628806));
  p = madd(p, t, sp(0.09678418));
  p = madd(p, t, sp(0.37409196));
  p = madd(p, t, sp(1.00002368));
  p = madd(p, t, sp(-1.26551223));
  return v128.bitselect(sp(0), f32x4.mul(t, vexp(f32x4.sub(p, f32x4.mul(z, z)))), f32x4.gt(z0, sp(9.0)));
}

/** HF 'gelu': x * Phi(x) = 0.5 x erfc(-x / sqrt 2), split by sign to keep relative accuracy. */
export function vgelu(x: v128): v128 {
  const e = verfcPos(f32x4.mul(f32x4.abs(x), sp(0.70710678118654752)));
  const phi = v128.bitselect(f32x4.sub(sp(1.0), f32x4.mul(sp(0.5), e)), f32x4.mul(sp(0.5), e), f32x4.ge(x, sp(0)));
  return f32x4.mul(x, phi);
}

/** d gelu / dx = Phi(x) + x phi(x). */
export function vgeluGrad(x: v128): v128 {
  const e = verfcPos(f32x4.mul(f32x4.abs(x), sp(0.70710678118654752)));
  const Phi = v128.bitselect(f32x4.sub(sp(1.0), f32x4.mul(sp(0.5), e)), f32x4.mul(sp(0.5), e), f32x4.ge(x, sp(0)));
  const dens = f32x4.mul(vexp(f32x4.mul(f32x4.mul(x, x), sp(-0.5))), sp(0.3989422804014327));
  return madd(x, dens, Phi);
}

// ---- scalar float64 special functions: shift to z >= 8, then Stirling / asymptotic series ----
// (one division and two logs instead of Lanczos' eight divisions; ~1e-13 absolute)

export function lgamma64(x: f64): f64 {
  if (isNaN(x)) return x;
  if (!isFinite(x)) return Infinity;
  if (x <= 0 && Math.floor(x) == x) return Infinity;
  if (x < 0.5) {
    let r = x - 2 * Math.floor(x * 0.5);
    const s = Math.sin(Math.PI * r);
    return Math.log(Math.PI / Math.abs(s)) - lgamma64(1 - x);
  }
  let z = x;
  let prod: f64 = 1;
  if (z < 8) {
    prod = z * (z + 1) * (z + 2) * (z + 3) * (z + 4) * (z + 5) * (z + 6) * (z + 7);
    z += 8;
  }
  const iz = 1 / z;
  const iz2 = iz * iz;
  const ser = iz * (1.0 / 12 - iz2 * (1.0 / 360 - iz2 * (1.0 / 1260 - iz2 * (1.0 / 1680 - iz2 * (1.0 / 1188)))));
  const r = (z - 0.5) * Math.log(z) - z + 0.91893853320467274178 + ser;
  return prod == 1 ? r : r - Math.log(prod);
}

export function digamma64(x: f64): f64 {
  if (isNaN(x)) return x;
  if (x == Infinity) return x;
  if (x <= 0 && Math.floor(x) == x) return NaN;
  if (x < 0.5) return digamma64(1 - x) - Math.PI / Math.tan(Math.PI * (x - Math.round(x)));
  let corr: f64 = 0;
  let z = x;
  if (z < 8) {
    // sum_{k<8} 1/(x+k) = P'/P for P = prod (x+k), by the product rule
    let P = z;
    let dP: f64 = 1;
    for (let k = 1; k < 8; k++) {
      const t = z + <f64>k;
      dP = dP * t + P;
      P *= t;
    }
    corr = dP / P;
    z += 8;
  }
  const iz = 1 / z;
  const i2 = iz * iz;
  const s = i2 * (1.0 / 12 - i2 * (1.0 / 120 - i2 * (1.0 / 252 - i2 * (1.0 / 240 - i2 * (1.0 / 132)))));
  return Math.log(z) - 0.5 * iz - s - corr;
}

export function trigamma64(x: f64): f64 {
  if (isNaN(x)) return x;
  if (x == Infinity) return 0;
  if (x <= 0 && Math.floor(x) == x) return NaN;
  if (x < 0.5) {
    const s = Math.sin(Math.PI * (x - Math.round(x)));
    return Math.PI * Math.PI / (s * s) - trigamma64(1 - x);
  }
  let acc: f64 = 0;
  while (x < 10) {
    acc += 1 / (x * x);
    x += 1;
  }
  const inv = 1 / x;
  const i2 = inv * inv;
  return acc + inv + i2 / 2 + inv * i2 * (1.0 / 6 - i2 * (1.0 / 30 - i2 * (1.0 / 42 - i2 * (1.0 / 30 - i2 * (5.0 / 66)))));
}

// ---- float64x2 lgamma / digamma for x > 0 (shift to z = x + 8 when x < 8, then Stirling) ----

/** log(x) for positive normal float64 lanes: 2 atanh((m-1)/(m+1)) series, ~1e-16 relative. */
// Float64 constants of vlog64 / vlgamma64 / vdigamma64, splatted, in static memory (see KF).
const KD = memory.data<f64>([
  1.4142135623730951, 1.4142135623730951,
  0.5, 0.5,
  1.0, 1.0,
  0.07692307692307693, 0.07692307692307693,
  0.09090909090909091, 0.09090909090909091,
  0.1111111111111111, 0.1111111111111111,
  0.14285714285714285, 0.14285714285714285,
  0.2, 0.2,
  0.3333333333333333, 0.3333333333333333,
  0.6931471805599453, 0.6931471805599453,
  8.0, 8.0,
  0.0008417508417508417, 0.0008417508417508417,
  0.0005952380952380953, 0.0005952380952380953,
  0.0007936507936507937, 0.0007936507936507937,
  0.002777777777777778, 0.002777777777777778,
  0.08333333333333333, 0.08333333333333333,
  0.9189385332046728, 0.9189385332046728,
  -0.007575757575757576, -0.007575757575757576,
  0.004166666666666667, 0.004166666666666667,
  -0.003968253968253968, -0.003968253968253968,
  0.008333333333333333, 0.008333333333333333,
  -0.08333333333333333, -0.08333333333333333,
], 16);
@inline function kd(i: i32): v128 {
  return v128.load(KD + <usize>(i << 4));
}

@inline export function vlog64(x: v128): v128 {
  const hi = v128.shuffle<i32>(x, x, 1, 3, 1, 3);
  let e = f64x2.convert_low_i32x4_s(i32x4.sub(i32x4.shr_u(hi, 20), i32x4.splat(1023)));
  let m = v128.or(v128.and(x, i64x2.splat(0x000fffffffffffff)), i64x2.splat(0x3ff0000000000000)); // [1, 2)
  const big = f64x2.gt(m, kd(0));
  m = v128.bitselect(f64x2.mul(m, kd(1)), m, big);
  e = v128.bitselect(f64x2.add(e, kd(2)), e, big);
  const s = f64x2.div(f64x2.sub(m, kd(2)), f64x2.add(m, kd(2)));
  const s2 = f64x2.mul(s, s);
  // |s| <= 0.1716, s^2 <= 0.0295: terms to s^13 leave ~2e-12 relative, far below the float32
  // result's resolution even after the cancellation in lgamma near its roots
  let p = kd(3);
  p = f64x2.add(f64x2.mul(p, s2), kd(4));
  p = f64x2.add(f64x2.mul(p, s2), kd(5));
  p = f64x2.add(f64x2.mul(p, s2), kd(6));
  p = f64x2.add(f64x2.mul(p, s2), kd(7));
  p = f64x2.add(f64x2.mul(p, s2), kd(8));
  p = f64x2.add(f64x2.mul(p, s2), kd(2));
  return f64x2.add(f64x2.mul(e, kd(9)), f64x2.mul(f64x2.add(s, s), p));
}

/** lgamma for lanes x > 0 (finite). */
@inline export function vlgamma64(x: v128): v128 {
  const shift = f64x2.lt(x, kd(10));
  let prod = x;
  let t = x;
  for (let k = 1; k < 8; k++) {
    t = f64x2.add(t, kd(2));
    prod = f64x2.mul(prod, t);
  }
  const z = v128.bitselect(f64x2.add(x, kd(10)), x, shift);
  prod = v128.bitselect(prod, kd(2), shift);
  const iz = f64x2.div(kd(2), z);
  const iz2 = f64x2.mul(iz, iz);
  // 1/(12z) - 1/(360z^3) + 1/(1260z^5) - 1/(1680z^7) + 1/(1188z^9)
  let ser = kd(11);
  ser = f64x2.sub(f64x2.mul(ser, iz2), kd(12));
  ser = f64x2.add(f64x2.mul(ser, iz2), kd(13));
  ser = f64x2.sub(f64x2.mul(ser, iz2), kd(14));
  ser = f64x2.add(f64x2.mul(ser, iz2), kd(15));
  ser = f64x2.mul(ser, iz);
  const lz = vlog64(z);
  let r = f64x2.sub(f64x2.mul(f64x2.sub(z, kd(1)), lz), z);
  r = f64x2.add(r, f64x2.add(kd(16), ser));
  return f64x2.sub(r, vlog64(prod));
}

/** digamma for lanes x > 0 (finite). */
@inline export function vdigamma64(x: v128): v128 {
  const shift = f64x2.lt(x, kd(10));
  // P = x (x+1) ... (x+7) and P' by the product rule: sum_k 1/(x+k) = P'/P
  let P = x;
  let dP = kd(2);
  let t = x;
  for (let k = 1; k < 8; k++) {
    t = f64x2.add(t, kd(2));
    dP = f64x2.add(f64x2.mul(dP, t), P);
    P = f64x2.mul(P, t);
  }
  const z = v128.bitselect(f64x2.add(x, kd(10)), x, shift);
  const corr = v128.bitselect(f64x2.div(dP, P), f64x2.splat(0), shift);
  const iz = f64x2.div(kd(2), z);
  const iz2 = f64x2.mul(iz, iz);
  // ln z - 1/(2z) - 1/(12z^2) + 1/(120z^4) - 1/(252z^6) + 1/(240z^8) - 1/(132z^10)
  let ser = kd(17);
  ser = f64x2.add(f64x2.mul(ser, iz2), kd(18));
  ser = f64x2.add(f64x2.mul(ser, iz2), kd(19));
  ser = f64x2.add(f64x2.mul(ser, iz2), kd(20));
  ser = f64x2.add(f64x2.mul(ser, iz2), kd(21));
  ser = f64x2.mul(ser, iz2);
  const r = f64x2.add(f64x2.sub(vlog64(z), f64x2.mul(kd(1), iz)), ser);
  return f64x2.sub(r, corr);
}

// digamma of the last vlgammaDigamma64 call (a second v128 result without a memory round trip)
let gDigamma: v128 = f64x2.splat(0);

/**
 * lgamma and digamma of the same lanes x > 0 (finite) in one pass: the shift product, z, 1/z and
 * log z are shared. Returns lgamma; digamma is left in gDigamma. Same operations as vlgamma64 and
 * vdigamma64, so the same values.
 */
@inline export function vlgammaDigamma64(x: v128): v128 {
  const shift = f64x2.lt(x, kd(10));
  let P = x;
  let dP = kd(2);
  let t = x;
  for (let k = 1; k < 8; k++) {
    t = f64x2.add(t, kd(2));
    dP = f64x2.add(f64x2.mul(dP, t), P);
    P = f64x2.mul(P, t);
  }
  const z = v128.bitselect(f64x2.add(x, kd(10)), x, shift);
  const prod = v128.bitselect(P, kd(2), shift);
  const corr = v128.bitselect(f64x2.div(dP, P), f64x2.splat(0), shift);
  const iz = f64x2.div(kd(2), z);
  const iz2 = f64x2.mul(iz, iz);
  let ser = kd(11);
  ser = f64x2.sub(f64x2.mul(ser, iz2), kd(12));
  ser = f64x2.add(f64x2.mul(ser, iz2), kd(13));
  ser = f64x2.sub(f64x2.mul(ser, iz2), kd(14));
  ser = f64x2.add(f64x2.mul(ser, iz2), kd(15));
  ser = f64x2.mul(ser, iz);
  const lz = vlog64(z);
  let r = f64x2.sub(f64x2.mul(f64x2.sub(z, kd(1)), lz), z);
  r = f64x2.add(r, f64x2.add(kd(16), ser));
  let sd = kd(17);
  sd = f64x2.add(f64x2.mul(sd, iz2), kd(18));
  sd = f64x2.add(f64x2.mul(sd, iz2), kd(19));
  sd = f64x2.add(f64x2.mul(sd, iz2), kd(20));
  sd = f64x2.add(f64x2.mul(sd, iz2), kd(21));
  sd = f64x2.mul(sd, iz2);
  gDigamma = f64x2.sub(f64x2.add(f64x2.sub(lz, f64x2.mul(kd(1), iz)), sd), corr);
  return f64x2.sub(r, vlog64(prod));
}

/** digamma left by the last vlgammaDigamma64 */
@inline export function lastDigamma64(): v128 {
  return gDigamma;
}

/**
 * lgamma (which = 0) or digamma (which = 1) of 4 float32 lanes; lanes outside (0, 3e38] (poles,
 * negatives, NaN, inf) go through the scalar float64 functions.
 */
export function vgammaFamily(which: i32, x: v128): v128 {
  const ok = v128.and(f32x4.gt(x, f32x4.splat(0)), f32x4.lt(x, f32x4.splat(3e38)));
  if (!i32x4.all_true(ok)) {
    let r = x;
    for (let l = 0; l < 4; l++) {
      const v = <f64>(l == 0 ? f32x4.extract_lane(x, 0) : l == 1 ? f32x4.extract_lane(x, 1) : l == 2 ? f32x4.extract_lane(x, 2) : f32x4.extract_lane(x, 3));
      const y = <f32>(which == 0 ? lgamma64(v) : digamma64(v));
      r = l == 0 ? f32x4.replace_lane(r, 0, y) : l == 1 ? f32x4.replace_lane(r, 1, y) : l == 2 ? f32x4.replace_lane(r, 2, y) : f32x4.replace_lane(r, 3, y);
    }
    return r;
  }
  const a = f64x2.promote_low_f32x4(x);
  const b = f64x2.promote_low_f32x4(v128.shuffle<f32>(x, x, 2, 3, 2, 3));
  const ra = which == 0 ? vlgamma64(a) : vdigamma64(a);
  const rb = which == 0 ? vlgamma64(b) : vdigamma64(b);
  const fa = f32x4.demote_f64x2_zero(ra);
  const fb = f32x4.demote_f64x2_zero(rb);
  return v128.shuffle<f32>(fa, fb, 0, 1, 4, 5);
}

/** f32x4 splat of 1.0 loaded from static memory (see KF). */
@inline export function vone(): v128 {
  return kf(12);
}
