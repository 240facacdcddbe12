// Fused LDVAE negative-binomial head (docs/ldvae-spec.md 3.1), rows [lo, hi) per thread.
// The x = 0 part of -log NB is evaluated densely in float32 SIMD in the stable form
//   theta * log1p(mu / (theta + eps)),
// the x > 0 corrections (lgamma, digamma, x log mu terms) in float64 at the nonzeros only.
import { vlog, vone, vlog64, vlgamma64, vlgammaDigamma64, lastDigamma64, lgamma64, digamma64 } from './vmath';
import { expShiftSum } from './nn';

const EPS: f64 = 1e-8;
// EPS splatted in static memory: a v128.const in a loop costs V8 ~4 instructions, a load one
const VEPS64 = memory.data<f64>([1e-8, 1e-8], 16);
const BLK = 64; // vectors per float32 partial sum of rec and dLogLib
const DPX_ROWS = 8; // rows per float32 partial of the dense dPxR

// d rec / d logLib accumulated by nbCorr (a per-instance global: each thread has its own instance)
let gDl: f64 = 0;

@inline function lfact(x: f64, table: usize, n: i32): f64 {
  const xi = <i32>x;
  return <f64>xi == x && xi < n ? load<f64>(table + <usize>xi * 8) : lgamma64(x + 1);
}

/** Scalar x > 0 correction for one nonzero; returns its change of rec, adds to gDl, GM and dpx. */
function nbCorr(gi: i32, xv: f64, R: usize, libInv64: f64, theta: usize, lgTh: usize, dgTh: usize, lfTable: usize, lfN: i32,
  gradScale: f32, grads: bool, GM: usize, dpx: usize): f64 {
  if (xv == 0) return 0;
  const o = <usize>gi * 4;
  const mu = libInv64 * <f64>load<f32>(R + o);
  const th = <f64>load<f32>(theta + o);
  const t1 = th + mu + EPS;
  const d = -(xv * (Math.log(mu + EPS) - Math.log(t1)) + lgamma64(xv + th) - load<f64>(lgTh + <usize>gi * 8) - lfact(xv, lfTable, lfN));
  if (grads) {
    const dmu = <f64>gradScale * (xv / t1 - xv / (mu + EPS));
    store<f32>(GM + o, load<f32>(GM + o) + <f32>dmu);
    gDl += dmu * mu;
    if (dpx) {
      const q = dpx + <usize>gi * 8;
      store<f64>(q, load<f64>(q) - <f64>gradScale * th * (-xv / t1 + digamma64(xv + th) - load<f64>(dgTh + <usize>gi * 8)));
    }
  }
  return d;
}

/**
 * Per-gene constants for g in [lo, hi): theta = exp(pxR), invTe = 1/(theta+eps), tte = theta/(theta+eps)
 * (float32), and lgamma(theta), digamma(theta) (float64) so the nonzeros need one lgamma and one
 * digamma each instead of two. Counts of 1 and 2 (about 9 in 10 nonzeros in 10x data) need neither:
 * lg12[2g + x - 1] = lgamma(theta + x) - lgamma(theta) = sum_{i<x} log(theta + i) and
 * dg12[2g + x - 1] = digamma(theta + x) - digamma(theta) = sum_{i<x} 1 / (theta + i) (float64).
 */
export function nbPrep(pxR: usize, theta: usize, invTe: usize, tte: usize, lgTh: usize, dgTh: usize, lg12: usize, dg12: usize, lo: i32, hi: i32): void {
  for (let g = lo; g < hi; g++) {
    const o = <usize>g * 4;
    const th32 = <f32>Math.exp(<f64>load<f32>(pxR + o));
    const th = <f64>th32; // the float32 theta the dense part uses
    store<f32>(theta + o, th32);
    store<f32>(invTe + o, <f32>(1 / (th + EPS)));
    store<f32>(tte + o, <f32>(th / (th + EPS)));
  }
  // lgamma / digamma of theta two genes at a time (the caller splits at even g, so a gene takes the
  // same path for any thread count); lanes outside (0, 1e300) take the scalar functions
  let g = lo;
  for (; g + 2 <= hi; g += 2) {
    const t0 = <f64>load<f32>(theta + <usize>g * 4), t1 = <f64>load<f32>(theta + <usize>(g + 1) * 4);
    const q = lgTh + <usize>g * 8, d = dgTh + <usize>g * 8;
    if (t0 > 0 && t1 > 0 && t0 < 1e300 && t1 < 1e300) {
      const x = f64x2(t0, t1);
      if (dgTh) {
        v128.store(q, vlgammaDigamma64(x));
        v128.store(d, lastDigamma64());
      } else {
        v128.store(q, vlgamma64(x));
      }
    } else {
      store<f64>(q, lgamma64(t0));
      store<f64>(q + 8, lgamma64(t1));
      if (dgTh) {
        store<f64>(d, digamma64(t0));
        store<f64>(d + 8, digamma64(t1));
      }
    }
  }
  for (; g < hi; g++) {
    const t = <f64>load<f32>(theta + <usize>g * 4);
    store<f64>(lgTh + <usize>g * 8, lgamma64(t));
    if (dgTh) store<f64>(dgTh + <usize>g * 8, digamma64(t));
  }
  for (g = lo; g < hi; g++) {
    const t = <f64>load<f32>(theta + <usize>g * 4);
    const l = vlog64(f64x2(t, t + 1)); // finite theta > 0 only: the general path takes the others
    const q = <usize>g * 16;
    const l0 = f64x2.extract_lane(l, 0);
    store<f64>(lg12 + q, l0);
    store<f64>(lg12 + q + 8, l0 + f64x2.extract_lane(l, 1));
    store<f64>(dg12 + q, 1 / t);
    store<f64>(dg12 + q + 8, 1 / t + 1 / (t + 1));
  }
}

/** table[i] = lgamma(i + 1) = log(i!) for i < n (integer counts hit this table). */
export function nbInitTable(table: usize, n: i32): void {
  for (let i = 0; i < n; i++) store<f64>(table + <usize>i * 8, lgamma64(<f64>i + 1));
}

@inline function rowMax(row: usize, N: i32): f32 {
  let m = f32x4.splat(-Infinity);
  let j = 0;
  for (; j + 4 <= N; j += 4) m = f32x4.max(m, v128.load(row + <usize>j * 4));
  let r = max(max(f32x4.extract_lane(m, 0), f32x4.extract_lane(m, 1)), max(f32x4.extract_lane(m, 2), f32x4.extract_lane(m, 3)));
  for (; j < N; j++) r = max(r, load<f32>(row + <usize>j * 4));
  return r;
}

/**
 * rec[b] (float32), dLogits/dLogLib (0 = not wanted), dpx: this thread's float64 partial of dPxR [G]
 * (summed over threads afterwards by nbReduce), rhoOut (0 = not wanted).
 * scratch: 3*G floats (rho, d rec/d mu, float32 dPxR partial).
 */
export function nbLossRows(G: i32, logits: usize, logLib: usize, theta: usize, invTe: usize, tte: usize,
  lgTh: usize, dgTh: usize, lg12: usize, dg12: usize, lfTable: usize, lfN: i32, indptr: usize, indices: usize, values: usize, gradScale: f32, rec: usize, dLogits: usize, dLogLib: usize,
  dpx: usize, rhoOut: usize, scratch: usize, lo: i32, hi: i32): void {
  const R = scratch;
  const GM = scratch + <usize>G * 4;
  const grads = dLogits != 0 || dLogLib != 0 || dpx != 0;
  const vgs = f32x4.splat(gradScale);
  const P32 = scratch + <usize>G * 8; // float32 partial of this thread's dense dPxR over up to DPX_ROWS rows
  if (dpx) memory.fill(P32, 0, <usize>G * 4);
  const G4 = G & ~3;
  for (let b = lo; b < hi; b++) {
    const row = logits + <usize>b * <usize>G * 4;
    const m = rowMax(row, G);
    const inv = <f32>(1 / expShiftSum(row, G, m, R));
    const lib64 = Math.exp(<f64>load<f32>(logLib + <usize>b * 4));
    const lib = <f32>lib64;
    const libInv64 = lib64 * <f64>inv; // mu = libInv64 * e at the nonzeros
    const vlib = f32x4.splat(lib * inv);
    const vinv = f32x4.splat(inv);
    let rs: f64 = 0, dl: f64 = 0;
    let g = 0;
    while (g < G4) {
      // float32 lane sums over at most BLK vectors, then added in float64
      const gEnd = min(G4, g + BLK * 4);
      let ra = f32x4.splat(0), da = f32x4.splat(0);
      for (; g < gEnd; g += 4) {
        const o = <usize>g * 4;
        const e = v128.load(R + o); // exp(logit - max); rho = e * inv (R keeps e: one store less)
        const mu = f32x4.mul(e, vlib);
        const th = v128.load(theta + o);
        const ite = v128.load(invTe + o);
        // L1 = log1p(y), y = mu / (theta + eps), as log(u) + (y - (u - 1)) / u with u = 1 + y; the one
        // division 1/u also gives 1 / (theta + mu + eps) = invTe / u for the gradients.
        const y = f32x4.mul(mu, ite);
        const u = f32x4.add(y, sp1());
        const ru = f32x4.div(sp1(), u);
        const L1 = f32x4.add(vlog(u), f32x4.mul(f32x4.sub(y, f32x4.sub(u, sp1())), ru));
        ra = f32x4.add(ra, f32x4.mul(th, L1)); // -log NB at x = 0
        if (grads) {
          const it1 = f32x4.mul(ite, ru);
          const gmu = f32x4.mul(vgs, f32x4.mul(th, it1));
          v128.store(GM + o, gmu);
          da = f32x4.add(da, f32x4.mul(gmu, mu));
          if (dpx) {
            // d(-log NB)/d pxR = theta * (L1 - tte * mu / t1)
            const dth = f32x4.mul(vgs, f32x4.mul(th, f32x4.sub(L1, f32x4.mul(v128.load(tte + o), f32x4.mul(mu, it1)))));
            v128.store(P32 + o, f32x4.add(v128.load(P32 + o), dth));
          }
        }
      }
      rs += (<f64>f32x4.extract_lane(ra, 0) + <f64>f32x4.extract_lane(ra, 1)) + (<f64>f32x4.extract_lane(ra, 2) + <f64>f32x4.extract_lane(ra, 3));
      dl += (<f64>f32x4.extract_lane(da, 0) + <f64>f32x4.extract_lane(da, 1)) + (<f64>f32x4.extract_lane(da, 2) + <f64>f32x4.extract_lane(da, 3));
    }
    if (dpx && ((b - lo + 1) % DPX_ROWS == 0 || b == hi - 1)) {
      // move the float32 partial into this thread's float64 dPxR partial
      for (let j = 0; j < G4; j += 4) {
        const o = <usize>j * 4;
        const v = v128.load(P32 + o);
        const q = dpx + <usize>j * 8;
        v128.store(q, f64x2.add(v128.load(q), f64x2.promote_low_f32x4(v)));
        v128.store(q, f64x2.add(v128.load(q, 16), f64x2.promote_low_f32x4(v128.shuffle<f32>(v, v, 2, 3, 2, 3))), 16);
        v128.store(P32 + o, f32x4.splat(0));
      }
    }
    for (; g < G; g++) {
      const o = <usize>g * 4;
      const rho = load<f32>(R + o) * inv;
      const mu = rho * lib;
      const th = load<f32>(theta + o);
      const t1 = th + mu + <f32>EPS;
      const L1 = <f32>Math.log1p(<f64>(mu * load<f32>(invTe + o)));
      rs += <f64>(th * L1);
      if (grads) {
        const gmu = gradScale * th / t1;
        store<f32>(GM + o, gmu);
        dl += <f64>(gmu * mu);
        if (dpx) {
          const p = dpx + <usize>g * 8;
          store<f64>(p, load<f64>(p) + <f64>(gradScale * th * (L1 - load<f32>(tte + o) * mu / t1)));
        }
      }
    }
    // x > 0 corrections in float64, two nonzeros per float64x2 step
    const p1 = load<i32>(indptr + <usize>(b + 1) * 4);
    let p = load<i32>(indptr + <usize>b * 4);
    gDl = 0;
    const vlib64 = f64x2.splat(libInv64), vgs64 = f64x2.splat(<f64>gradScale);
    for (; p + 2 <= p1; p += 2) {
      const g0 = load<i32>(indices + <usize>p * 4), g1 = load<i32>(indices + <usize>(p + 1) * 4);
      const x0 = <f64>load<f32>(values + <usize>p * 4), x1 = <f64>load<f32>(values + <usize>(p + 1) * 4);
      if (!(x0 > 0 && x1 > 0 && x0 < 1e30 && x1 < 1e30)) {
        rs += nbCorr(g0, x0, R, libInv64, theta, lgTh, dgTh, lfTable, lfN, gradScale, grads, GM, dpx);
        rs += nbCorr(g1, x1, R, libInv64, theta, lgTh, dgTh, lfTable, lfN, gradScale, grads, GM, dpx);
        continue;
      }
      const o0 = <usize>g0 * 4, o1 = <usize>g1 * 4;
      const xv = f64x2(x0, x1);
      const mu = f64x2.mul(vlib64, f64x2(<f64>load<f32>(R + o0), <f64>load<f32>(R + o1)));
      const th = f64x2(<f64>load<f32>(theta + o0), <f64>load<f32>(theta + o1));
      const me = f64x2.add(mu, v128.load(VEPS64));
      const t1 = f64x2.add(th, me);
      const lf = f64x2(lfact(x0, lfTable, lfN), lfact(x1, lfTable, lfN));
      // x (log(mu+eps) - log(theta+mu+eps)) + [lgamma(x+theta) - lgamma(theta)] - lgamma(x+1); the
      // bracket and its digamma counterpart (dgDiff) come from nbPrep's tables for counts 1 and 2
      let lgDiff: v128, dgDiff = f64x2.splat(0);
      if (x0 <= 2 && x1 <= 2 && <f64><i32>x0 == x0 && <f64><i32>x1 == x1 && th12(th)) {
        const q0 = (<usize>g0 * 2 + <usize><i32>x0 - 1) * 8, q1 = (<usize>g1 * 2 + <usize><i32>x1 - 1) * 8;
        lgDiff = f64x2(load<f64>(lg12 + q0), load<f64>(lg12 + q1));
        if (dpx) dgDiff = f64x2(load<f64>(dg12 + q0), load<f64>(dg12 + q1));
      } else {
        const lgT = f64x2(load<f64>(lgTh + <usize>g0 * 8), load<f64>(lgTh + <usize>g1 * 8));
        lgDiff = f64x2.sub(dpx ? vlgammaDigamma64(f64x2.add(xv, th)) : vlgamma64(f64x2.add(xv, th)), lgT); // digamma(x+theta) for dPxR comes with it
        if (dpx) dgDiff = f64x2.sub(lastDigamma64(), f64x2(load<f64>(dgTh + <usize>g0 * 8), load<f64>(dgTh + <usize>g1 * 8)));
      }
      const ll = f64x2.sub(f64x2.add(f64x2.mul(xv, vlog64(f64x2.div(me, t1))), lgDiff), lf);
      rs -= f64x2.extract_lane(ll, 0) + f64x2.extract_lane(ll, 1);
      if (grads) {
        const xt = f64x2.div(xv, t1);
        const dmu = f64x2.mul(vgs64, f64x2.sub(xt, f64x2.div(xv, me)));
        store<f32>(GM + o0, load<f32>(GM + o0) + <f32>f64x2.extract_lane(dmu, 0));
        store<f32>(GM + o1, load<f32>(GM + o1) + <f32>f64x2.extract_lane(dmu, 1));
        const dm = f64x2.mul(dmu, mu);
        gDl += f64x2.extract_lane(dm, 0) + f64x2.extract_lane(dm, 1);
        if (dpx) {
          const inner = f64x2.sub(dgDiff, xt);
          const upd = f64x2.mul(f64x2.mul(vgs64, th), inner);
          const q0 = dpx + <usize>g0 * 8, q1 = dpx + <usize>g1 * 8;
          store<f64>(q0, load<f64>(q0) - f64x2.extract_lane(upd, 0));
          store<f64>(q1, load<f64>(q1) - f64x2.extract_lane(upd, 1));
        }
      }
    }
    for (; p < p1; p++) {
      rs += nbCorr(load<i32>(indices + <usize>p * 4), <f64>load<f32>(values + <usize>p * 4), R, libInv64, theta, lgTh, dgTh, lfTable, lfN, gradScale, grads, GM, dpx);
    }
    dl += gDl;
    store<f32>(rec + <usize>b * 4, <f32>rs);
    if (dLogLib) store<f32>(dLogLib + <usize>b * 4, <f32>dl);
    if (dLogits) {
      // d/dlogit_g = mu_g * gmu_g - rho_g * dl, with mu = e * lib * inv and rho = e * inv
      const drow = dLogits + <usize>b * <usize>G * 4;
      const libInv = lib * inv, dlInv = <f32>dl * inv;
      const vl = f32x4.splat(libInv), vdl = f32x4.splat(dlInv);
      let j = 0;
      for (; j + 4 <= G; j += 4) {
        const o = <usize>j * 4;
        const e = v128.load(R + o);
        v128.store(drow + o, f32x4.sub(f32x4.mul(f32x4.mul(e, vl), v128.load(GM + o)), f32x4.mul(e, vdl)));
      }
      for (; j < G; j++) {
        const o = <usize>j * 4;
        const e = load<f32>(R + o);
        store<f32>(drow + o, e * libInv * load<f32>(GM + o) - e * dlInv);
      }
    }
    if (rhoOut) {
      const orow = rhoOut + <usize>b * <usize>G * 4;
      let j = 0;
      for (; j + 4 <= G; j += 4) v128.store(orow + <usize>j * 4, f32x4.mul(v128.load(R + <usize>j * 4), vinv));
      for (; j < G; j++) store<f32>(orow + <usize>j * 4, load<f32>(R + <usize>j * 4) * inv);
    }
  }
}

/** Both lanes finite and > 0 (the tables hold those thetas only). */
@inline function th12(th: v128): bool {
  return f64x2.extract_lane(th, 0) > 0 && f64x2.extract_lane(th, 1) > 0 && f64x2.extract_lane(th, 0) < 1e300 && f64x2.extract_lane(th, 1) < 1e300;
}

@inline function sp1(): v128 {
  return vone();
}

/** dPxR[g] += sum over nParts float64 partials (stride G) for g in [lo, hi), in part order. */
export function nbReduce(G: i32, nParts: i32, parts: usize, dPxR: usize, lo: i32, hi: i32): void {
  for (let g = lo; g < hi; g++) {
    let s: f64 = 0;
    for (let t = 0; t < nParts; t++) s += load<f64>(parts + (<usize>t * <usize>G + <usize>g) * 8);
    store<f32>(dPxR + <usize>g * 4, load<f32>(dPxR + <usize>g * 4) + <f32>s);
  }
}

