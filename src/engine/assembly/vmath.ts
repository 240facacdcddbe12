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

/** 2^n for integer-valued n in [-126, 127] (as i32x4). */
@inline function pow2i(n: v128): v128 {
  return i32x4.shl(i32x4.add(n, i32x4.splat(127)), 23);
}

/**
 * exp(x): +inf above 88.72, NaN kept, and 0 below -86.5: results under 2.6e-38 are flushed to zero
 * because denormal arithmetic costs ~100 cycles per operation on x86 (softmax tails hit it often).
 */
@inline export function vexp(x: v128): v128 {
  // pmin/pmax lower to single minps/maxps (the NaN-propagating min/max take ~5 instructions in V8);
  // a NaN input is restored by the final select.
  const xc = f32x4.pmax(f32x4.pmin(x, sp(88.72283935546875)), sp(-86.5));
  // n = round(x / ln 2) by the 1.5*2^23 trick: the integer sits in the low mantissa bits of j.
  const j = madd(xc, sp(1.44269504088896341), sp(12582912.0));
  const fx = f32x4.sub(j, sp(12582912.0));
  let r = f32x4.sub(xc, f32x4.mul(fx, sp(0.693359375)));
  r = f32x4.sub(r, f32x4.mul(fx, sp(-2.12194440e-4)));
  const z = f32x4.mul(r, r);
  let y = madd(sp(1.9875691500e-4), r, sp(1.3981999507e-3));
  y = madd(y, r, sp(8.3334519073e-3));
  y = madd(y, r, sp(4.1665795894e-2));
  y = madd(y, r, sp(1.6666665459e-1));
  y = madd(y, r, sp(5.0000001201e-1));
  y = f32x4.add(madd(y, z, r), sp(1.0));
  // Scale by 2^n in two steps so that n = 128 (x near 88.7) does not overflow the exponent field.
  const n = i32x4.sub(j, i32x4.splat(0x4b400000));
  const n1 = i32x4.shr_s(n, 1);
  const n2 = i32x4.sub(n, n1);
  y = f32x4.mul(f32x4.mul(y, pow2i(n1)), pow2i(n2));
  y = v128.bitselect(sp(Infinity), y, f32x4.gt(x, sp(88.72283935546875)));
  y = v128.bitselect(sp(0), y, f32x4.lt(x, sp(-86.5)));
  return v128.bitselect(x, y, f32x4.ne(x, x));
}

/** log of positive, normal, finite lanes (Cephes logf polynomial). */
@inline function vlogCore(x: v128): v128 {
  let e = f32x4.convert_i32x4_s(i32x4.sub(i32x4.shr_u(x, 23), i32x4.splat(126)));
  let m = v128.or(v128.and(x, i32x4.splat(0x807fffff)), i32x4.splat(0x3f000000)); // [0.5, 1)
  const lt = f32x4.lt(m, sp(0.707106781186547524));
  e = f32x4.sub(e, v128.and(lt, sp(1.0)));
  m = f32x4.sub(f32x4.add(m, v128.and(lt, m)), sp(1.0));
  const z = f32x4.mul(m, m);
  let y = madd(sp(7.0376836292e-2), m, sp(-1.1514610310e-1));
  y = madd(y, m, sp(1.1676998740e-1));
  y = madd(y, m, sp(-1.2420140846e-1));
  y = madd(y, m, sp(1.4249322787e-1));
  y = madd(y, m, sp(-1.6668057665e-1));
  y = madd(y, m, sp(2.0000714765e-1));
  y = madd(y, m, sp(-2.4999993993e-1));
  y = madd(y, m, sp(3.3333331174e-1));
  y = f32x4.mul(f32x4.mul(y, m), z);
  y = madd(e, sp(-2.12194440e-4), y);
  y = madd(z, sp(-0.5), y);
  return madd(e, sp(0.693359375), f32x4.add(m, y));
}

/** true in lanes holding a positive, normal, finite float */
@inline function normalPos(x: v128): v128 {
  return i32x4.lt_u(i32x4.sub(x, i32x4.splat(0x00800000)), i32x4.splat(0x7f000000));
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
@inline export function vlog64(x: v128): v128 {
  const hi = v128.shuffle<i32>(x, x, 1, 3, 1, 3);
  let e = f64x2.convert_low_i32x4_s(i32x4.sub(i32x4.shr_u(hi, 20), i32x4.splat(1023)));
  let m = v128.or(v128.and(x, i64x2.splat(0x000fffffffffffff)), i64x2.splat(0x3ff0000000000000)); // [1, 2)
  const big = f64x2.gt(m, f64x2.splat(1.4142135623730951));
  m = v128.bitselect(f64x2.mul(m, f64x2.splat(0.5)), m, big);
  e = v128.bitselect(f64x2.add(e, f64x2.splat(1.0)), e, big);
  const s = f64x2.div(f64x2.sub(m, f64x2.splat(1.0)), f64x2.add(m, f64x2.splat(1.0)));
  const s2 = f64x2.mul(s, s);
  // |s| <= 0.1716, s^2 <= 0.0295: terms to s^13 leave ~2e-12 relative, far below the float32
  // result's resolution even after the cancellation in lgamma near its roots
  let p = f64x2.splat(1.0 / 13);
  p = f64x2.add(f64x2.mul(p, s2), f64x2.splat(1.0 / 11));
  p = f64x2.add(f64x2.mul(p, s2), f64x2.splat(1.0 / 9));
  p = f64x2.add(f64x2.mul(p, s2), f64x2.splat(1.0 / 7));
  p = f64x2.add(f64x2.mul(p, s2), f64x2.splat(1.0 / 5));
  p = f64x2.add(f64x2.mul(p, s2), f64x2.splat(1.0 / 3));
  p = f64x2.add(f64x2.mul(p, s2), f64x2.splat(1.0));
  return f64x2.add(f64x2.mul(e, f64x2.splat(0.6931471805599453)), f64x2.mul(f64x2.add(s, s), p));
}

/** lgamma for lanes x > 0 (finite). */
@inline export function vlgamma64(x: v128): v128 {
  const shift = f64x2.lt(x, f64x2.splat(8.0));
  let prod = x;
  let t = x;
  for (let k = 1; k < 8; k++) {
    t = f64x2.add(t, f64x2.splat(1.0));
    prod = f64x2.mul(prod, t);
  }
  const z = v128.bitselect(f64x2.add(x, f64x2.splat(8.0)), x, shift);
  prod = v128.bitselect(prod, f64x2.splat(1.0), shift);
  const iz = f64x2.div(f64x2.splat(1.0), z);
  const iz2 = f64x2.mul(iz, iz);
  // 1/(12z) - 1/(360z^3) + 1/(1260z^5) - 1/(1680z^7) + 1/(1188z^9)
  let ser = f64x2.splat(1.0 / 1188);
  ser = f64x2.sub(f64x2.mul(ser, iz2), f64x2.splat(1.0 / 1680));
  ser = f64x2.add(f64x2.mul(ser, iz2), f64x2.splat(1.0 / 1260));
  ser = f64x2.sub(f64x2.mul(ser, iz2), f64x2.splat(1.0 / 360));
  ser = f64x2.add(f64x2.mul(ser, iz2), f64x2.splat(1.0 / 12));
  ser = f64x2.mul(ser, iz);
  const lz = vlog64(z);
  let r = f64x2.sub(f64x2.mul(f64x2.sub(z, f64x2.splat(0.5)), lz), z);
  r = f64x2.add(r, f64x2.add(f64x2.splat(0.91893853320467274178), ser));
  return f64x2.sub(r, vlog64(prod));
}

/** digamma for lanes x > 0 (finite). */
@inline export function vdigamma64(x: v128): v128 {
  const shift = f64x2.lt(x, f64x2.splat(8.0));
  // P = x (x+1) ... (x+7) and P' by the product rule: sum_k 1/(x+k) = P'/P
  let P = x;
  let dP = f64x2.splat(1.0);
  let t = x;
  for (let k = 1; k < 8; k++) {
    t = f64x2.add(t, f64x2.splat(1.0));
    dP = f64x2.add(f64x2.mul(dP, t), P);
    P = f64x2.mul(P, t);
  }
  const z = v128.bitselect(f64x2.add(x, f64x2.splat(8.0)), x, shift);
  const corr = v128.bitselect(f64x2.div(dP, P), f64x2.splat(0), shift);
  const iz = f64x2.div(f64x2.splat(1.0), z);
  const iz2 = f64x2.mul(iz, iz);
  // ln z - 1/(2z) - 1/(12z^2) + 1/(120z^4) - 1/(252z^6) + 1/(240z^8) - 1/(132z^10)
  let ser = f64x2.splat(-1.0 / 132);
  ser = f64x2.add(f64x2.mul(ser, iz2), f64x2.splat(1.0 / 240));
  ser = f64x2.add(f64x2.mul(ser, iz2), f64x2.splat(-1.0 / 252));
  ser = f64x2.add(f64x2.mul(ser, iz2), f64x2.splat(1.0 / 120));
  ser = f64x2.add(f64x2.mul(ser, iz2), f64x2.splat(-1.0 / 12));
  ser = f64x2.mul(ser, iz2);
  const r = f64x2.add(f64x2.sub(vlog64(z), f64x2.mul(f64x2.splat(0.5), iz)), ser);
  return f64x2.sub(r, corr);
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
