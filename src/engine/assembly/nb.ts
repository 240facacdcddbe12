// Fused LDVAE negative-binomial head (docs/ldvae-spec.md 3.1), rows [lo, hi) per thread.
// The x = 0 part of -log NB is evaluated densely in float32 SIMD in the stable form
//   theta * log1p(mu / (theta + eps)),
// the x > 0 corrections (lgamma, digamma, x log mu terms) in float64 at the nonzeros only.
import { vlog1p, vlog64, vlgamma64, vdigamma64, lgamma64, digamma64 } from './vmath';
import { expShiftSum } from './nn';

const EPS: f64 = 1e-8;

// d rec / d logLib accumulated by nbCorr (a per-instance global: each thread has its own instance)
let gDl: f64 = 0;

@inline function lfact(x: f64, table: usize, n: i32): f64 {
  const xi = <i32>x;
  return <f64>xi == x && xi < n ? load<f64>(table + <usize>xi * 8) : lgamma64(x + 1);
}

/** Scalar x > 0 correction for one nonzero; returns its change of rec, adds to gDl, GM and dpx. */
function nbCorr(gi: i32, xv: f64, R: usize, lib64: f64, theta: usize, lgTh: usize, dgTh: usize, lfTable: usize, lfN: i32,
  gradScale: f32, grads: bool, GM: usize, dpx: usize): f64 {
  if (xv == 0) return 0;
  const o = <usize>gi * 4;
  const mu = lib64 * <f64>load<f32>(R + o);
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
 * digamma each instead of two.
 */
export function nbPrep(pxR: usize, theta: usize, invTe: usize, tte: usize, lgTh: usize, dgTh: usize, lo: i32, hi: i32): void {
  for (let g = lo; g < hi; g++) {
    const o = <usize>g * 4;
    const th32 = <f32>Math.exp(<f64>load<f32>(pxR + o));
    const th = <f64>th32; // the float32 theta the dense part uses
    store<f32>(theta + o, th32);
    store<f32>(invTe + o, <f32>(1 / (th + EPS)));
    store<f32>(tte + o, <f32>(th / (th + EPS)));
    store<f64>(lgTh + <usize>g * 8, lgamma64(th));
    if (dgTh) store<f64>(dgTh + <usize>g * 8, digamma64(th));
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
 * scratch: 2*G floats (rho, d rec/d mu).
 */
export function nbLossRows(G: i32, logits: usize, logLib: usize, theta: usize, invTe: usize, tte: usize,
  lgTh: usize, dgTh: usize, lfTable: usize, lfN: i32, indptr: usize, indices: usize, values: usize, gradScale: f32, rec: usize, dLogits: usize, dLogLib: usize,
  dpx: usize, rhoOut: usize, scratch: usize, lo: i32, hi: i32): void {
  const R = scratch;
  const GM = scratch + <usize>G * 4;
  const grads = dLogits != 0 || dLogLib != 0 || dpx != 0;
  const veps = f32x4.splat(<f32>EPS);
  const vgs = f32x4.splat(gradScale);
  for (let b = lo; b < hi; b++) {
    const row = logits + <usize>b * <usize>G * 4;
    const m = rowMax(row, G);
    const inv = <f32>(1 / expShiftSum(row, G, m, R));
    const lib64 = Math.exp(<f64>load<f32>(logLib + <usize>b * 4));
    const lib = <f32>lib64;
    const vlib = f32x4.splat(lib * inv);
    const vinv = f32x4.splat(inv);
    let r0 = f64x2.splat(0), r1 = f64x2.splat(0), dl0 = f64x2.splat(0), dl1 = f64x2.splat(0);
    let g = 0;
    for (; g + 4 <= G; g += 4) {
      const o = <usize>g * 4;
      const e = v128.load(R + o);
      v128.store(R + o, f32x4.mul(e, vinv)); // rho
      const mu = f32x4.mul(e, vlib);
      const th = v128.load(theta + o);
      const t1 = f32x4.add(f32x4.add(th, mu), veps);
      const L1 = vlog1p(f32x4.mul(mu, v128.load(invTe + o)));
      const ll = f32x4.mul(th, L1); // -log NB at x = 0
      r0 = f64x2.add(r0, f64x2.promote_low_f32x4(ll));
      r1 = f64x2.add(r1, f64x2.promote_low_f32x4(v128.shuffle<f32>(ll, ll, 2, 3, 2, 3)));
      if (grads) {
        const it1 = f32x4.div(sp1(), t1);
        const gmu = f32x4.mul(vgs, f32x4.mul(th, it1));
        v128.store(GM + o, gmu);
        const gm = f32x4.mul(gmu, mu);
        dl0 = f64x2.add(dl0, f64x2.promote_low_f32x4(gm));
        dl1 = f64x2.add(dl1, f64x2.promote_low_f32x4(v128.shuffle<f32>(gm, gm, 2, 3, 2, 3)));
        if (dpx) {
          // d(-log NB)/d pxR = theta * (L1 - tte * mu / t1)
          const dth = f32x4.mul(vgs, f32x4.mul(th, f32x4.sub(L1, f32x4.mul(v128.load(tte + o), f32x4.mul(mu, it1)))));
          const p = dpx + <usize>g * 8;
          v128.store(p, f64x2.add(v128.load(p), f64x2.promote_low_f32x4(dth)));
          v128.store(p, f64x2.add(v128.load(p, 16), f64x2.promote_low_f32x4(v128.shuffle<f32>(dth, dth, 2, 3, 2, 3))), 16);
        }
      }
    }
    let rs = f64x2.extract_lane(r0, 0) + f64x2.extract_lane(r0, 1) + f64x2.extract_lane(r1, 0) + f64x2.extract_lane(r1, 1);
    let dl = f64x2.extract_lane(dl0, 0) + f64x2.extract_lane(dl0, 1) + f64x2.extract_lane(dl1, 0) + f64x2.extract_lane(dl1, 1);
    for (; g < G; g++) {
      const o = <usize>g * 4;
      const rho = load<f32>(R + o) * inv;
      store<f32>(R + o, rho);
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
    for (; p + 2 <= p1; p += 2) {
      const g0 = load<i32>(indices + <usize>p * 4), g1 = load<i32>(indices + <usize>(p + 1) * 4);
      const x0 = <f64>load<f32>(values + <usize>p * 4), x1 = <f64>load<f32>(values + <usize>(p + 1) * 4);
      if (!(x0 > 0 && x1 > 0 && x0 < 1e30 && x1 < 1e30)) {
        rs += nbCorr(g0, x0, R, lib64, theta, lgTh, dgTh, lfTable, lfN, gradScale, grads, GM, dpx);
        rs += nbCorr(g1, x1, R, lib64, theta, lgTh, dgTh, lfTable, lfN, gradScale, grads, GM, dpx);
        continue;
      }
      const o0 = <usize>g0 * 4, o1 = <usize>g1 * 4;
      const xv = f64x2(x0, x1);
      const mu = f64x2.mul(f64x2.splat(lib64), f64x2(<f64>load<f32>(R + o0), <f64>load<f32>(R + o1)));
      const th = f64x2(<f64>load<f32>(theta + o0), <f64>load<f32>(theta + o1));
      const me = f64x2.add(mu, f64x2.splat(EPS));
      const t1 = f64x2.add(th, me);
      const a = f64x2.add(xv, th);
      const lf = f64x2(lfact(x0, lfTable, lfN), lfact(x1, lfTable, lfN));
      const lgT = f64x2(load<f64>(lgTh + <usize>g0 * 8), load<f64>(lgTh + <usize>g1 * 8));
      // x (log(mu+eps) - log(theta+mu+eps)) + lgamma(x+theta) - lgamma(theta) - lgamma(x+1)
      const ll = f64x2.sub(f64x2.add(f64x2.mul(xv, vlog64(f64x2.div(me, t1))), vlgamma64(a)), f64x2.add(lgT, lf));
      rs -= f64x2.extract_lane(ll, 0) + f64x2.extract_lane(ll, 1);
      if (grads) {
        const xt = f64x2.div(xv, t1);
        const dmu = f64x2.mul(f64x2.splat(<f64>gradScale), f64x2.sub(xt, f64x2.div(xv, me)));
        store<f32>(GM + o0, load<f32>(GM + o0) + <f32>f64x2.extract_lane(dmu, 0));
        store<f32>(GM + o1, load<f32>(GM + o1) + <f32>f64x2.extract_lane(dmu, 1));
        const dm = f64x2.mul(dmu, mu);
        gDl += f64x2.extract_lane(dm, 0) + f64x2.extract_lane(dm, 1);
        if (dpx) {
          const dgT = f64x2(load<f64>(dgTh + <usize>g0 * 8), load<f64>(dgTh + <usize>g1 * 8));
          const inner = f64x2.sub(f64x2.sub(vdigamma64(a), dgT), xt);
          const upd = f64x2.mul(f64x2.mul(f64x2.splat(<f64>gradScale), th), inner);
          const q0 = dpx + <usize>g0 * 8, q1 = dpx + <usize>g1 * 8;
          store<f64>(q0, load<f64>(q0) - f64x2.extract_lane(upd, 0));
          store<f64>(q1, load<f64>(q1) - f64x2.extract_lane(upd, 1));
        }
      }
    }
    for (; p < p1; p++) {
      rs += nbCorr(load<i32>(indices + <usize>p * 4), <f64>load<f32>(values + <usize>p * 4), R, lib64, theta, lgTh, dgTh, lfTable, lfN, gradScale, grads, GM, dpx);
    }
    dl += gDl;
    store<f32>(rec + <usize>b * 4, <f32>rs);
    if (dLogLib) store<f32>(dLogLib + <usize>b * 4, <f32>dl);
    if (dLogits) {
      // d/dlogit_g = mu_g * gmu_g - rho_g * dl
      const drow = dLogits + <usize>b * <usize>G * 4;
      const vl = f32x4.splat(lib), vdl = f32x4.splat(<f32>dl);
      let j = 0;
      for (; j + 4 <= G; j += 4) {
        const o = <usize>j * 4;
        const rho = v128.load(R + o);
        v128.store(drow + o, f32x4.sub(f32x4.mul(f32x4.mul(rho, vl), v128.load(GM + o)), f32x4.mul(rho, vdl)));
      }
      for (; j < G; j++) {
        const o = <usize>j * 4;
        const rho = load<f32>(R + o);
        store<f32>(drow + o, rho * lib * load<f32>(GM + o) - rho * <f32>dl);
      }
    }
    if (rhoOut) memory.copy(rhoOut + <usize>b * <usize>G * 4, R, <usize>G * 4);
  }
}

@inline function sp1(): v128 {
  return f32x4.splat(1.0);
}

/** dPxR[g] += sum over nParts float64 partials (stride G) for g in [lo, hi), in part order. */
export function nbReduce(G: i32, nParts: i32, parts: usize, dPxR: usize, lo: i32, hi: i32): void {
  for (let g = lo; g < hi; g++) {
    let s: f64 = 0;
    for (let t = 0; t < nParts; t++) s += load<f64>(parts + (<usize>t * <usize>G + <usize>g) * 8);
    store<f32>(dPxR + <usize>g * 4, load<f32>(dPxR + <usize>g * 4) + <f32>s);
  }
}

