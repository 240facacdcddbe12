/**
 * The linear decoder with its BatchNorm over G genes, folded into one GEMM.
 *
 * d = z W^T [B,G] is linear in z, so its batch statistics follow from the batch mean zbar and the
 * biased covariance C of z [K,K]: mean_g = w_g . zbar, var_g = w_g^T C w_g. BN(d) is then
 *   logits = z (diag(a) W)^T + (beta - a * mean),   a = gamma / sqrt(var + eps)
 * i.e. one [B,K]x[K,G] GEMM plus a bias row, with no [B,G] statistics passes. Same function as
 * BatchNorm1d (train: batch stats; eval: running stats); the golden tests check it.
 */
import type { Backend, F32 } from '../../engine/index.js';
import type { LdvaeState } from './params.js';
import { names } from './params.js';
import type { BnOpts, LdvaeWorkspace } from './module.js';

/** Batch moments of z and the decoder BatchNorm's batch statistics (backend buffers, for its fold kernel). */
export interface DecoderFold {
  readonly zMean: F32; /** [K] */
  readonly zCov: F32; /** [K,K] biased */
  readonly mean: F32; /** [G] batch mean of d = z W^T */
  readonly variance: F32; /** [G] biased batch variance of d */
  readonly invStd: F32; /** [G] */
  readonly zbar: Float64Array; /** [K] */
  readonly cov: Float64Array; /** [K,K] biased, float64 (zMean and zCov are these rounded) */
  /** deferred ZINB-head statistics since the last flushDropoutHead (see accumulateDropoutHead) */
  readonly head: { readonly z: Float64Array; readonly cov: Float64Array; decay: number; pending: boolean };
}

export function createDecoderFold(backend: Backend, G: number, K: number): DecoderFold {
  return {
    zMean: backend.allocF32(K), zCov: backend.allocF32(K * K), mean: backend.allocF32(G), variance: backend.allocF32(G), invStd: backend.allocF32(G),
    zbar: new Float64Array(K), cov: new Float64Array(K * K),
    head: { z: new Float64Array(K), cov: new Float64Array(K * K), decay: 1, pending: false },
  };
}

export function freeDecoderFold(backend: Backend, f: DecoderFold): void {
  for (const a of [f.zMean, f.zCov, f.mean, f.variance, f.invStd]) backend.free(a);
}

/**
 * w^T C w for w = W[o, o+K) and symmetric C [K,K]: the diagonal plus twice the upper triangle, about
 * half the multiplications of the full form (the ZINB head's running statistics; the trained
 * decoder's go through the backend's linearBatchNormFold).
 */
function quadForm(C: Float64Array, W: F32, o: number, K: number): number {
  let v = 0;
  for (let i = 0; i < K; i++) {
    const wi = W[o + i];
    let acc = 0.5 * C[i * K + i] * wi;
    for (let j = i + 1; j < K; j++) acc += C[i * K + j] * W[o + j];
    v += wi * acc;
  }
  return 2 * v;
}

/** Batch mean and biased covariance of z [B,K] into f.zbar, f.cov. */
function zStats(f: DecoderFold, z: F32, B: number, K: number): void {
  const { zbar, cov } = f;
  zbar.fill(0);
  cov.fill(0);
  for (let b = 0; b < B; b++) for (let k = 0; k < K; k++) zbar[k] += z[b * K + k];
  for (let k = 0; k < K; k++) zbar[k] /= B;
  for (let b = 0; b < B; b++)
    for (let i = 0; i < K; i++) {
      const di = z[b * K + i] - zbar[i];
      for (let j = i; j < K; j++) cov[i * K + j] += di * (z[b * K + j] - zbar[j]);
    }
  for (let i = 0; i < K; i++)
    for (let j = i; j < K; j++) {
      cov[i * K + j] /= B;
      cov[j * K + i] = cov[i * K + j];
    }
  f.zMean.set(zbar);
  f.zCov.set(cov);
}

/**
 * Train mode: logits [B,G] = BN_batch(z W^T), running statistics updated (and those of the unused
 * ZINB head, whose BN sees z W'^T, when `dropoutHead`). Leaves ws.Wf = diag(a) W for the backward.
 */
export function decoderForwardTrain(ws: LdvaeWorkspace, st: LdvaeState, z: F32, B: number, bn: BnOpts, dropoutHead: boolean | 'deferred'): void {
  const { G, K } = ws.dims;
  const f = ws.fold;
  const p = names.dec('factor_regressor');
  const T = st.t;
  const W = T.get(`${p}.0.weight`)!, gamma = T.get(`${p}.1.weight`)!, beta = T.get(`${p}.1.bias`)!;
  const rm = T.get(`${p}.1.running_mean`)!, rv = T.get(`${p}.1.running_var`)!;
  zStats(f, z, B, K);
  ws.backend.linearBatchNormFold(G, K, W, f.zMean, f.zCov, gamma, beta, bn.eps, ws.Wf, ws.bf, f.mean, f.variance, f.invStd);
  const m = bn.momentum;
  ws.backend.axpby(G, m, f.mean, 1 - m, rm, rm);
  ws.backend.axpby(G, (m * B) / (B - 1), f.variance, 1 - m, rv, rv);
  bumpCount(st, `${p}.1.num_batches_tracked`);
  ws.backend.gemm(false, true, B, G, K, 1, z, ws.Wf, 0, ws.logits); // [B,K] @ [G,K]^T
  ws.backend.addRowVector(B, G, ws.logits, ws.bf);
  if (dropoutHead === 'deferred') accumulateDropoutHead(st, f, B, bn);
  else if (dropoutHead) dropoutHeadRunningStats(st, f, B, bn);
}

/** Eval mode: logits [B,G] = BN_running(z W^T) as one GEMM with W and bias folded (loadings-style). */
export function decoderForwardEval(ws: LdvaeWorkspace, st: LdvaeState, z: F32, B: number, eps: number): void {
  const { G, K } = ws.dims;
  const p = names.dec('factor_regressor');
  const T = st.t;
  const W = T.get(`${p}.0.weight`)!, gamma = T.get(`${p}.1.weight`)!, beta = T.get(`${p}.1.bias`)!;
  const rm = T.get(`${p}.1.running_mean`)!, rv = T.get(`${p}.1.running_var`)!;
  for (let g = 0; g < G; g++) {
    const a = gamma[g] / Math.sqrt(rv[g] + eps);
    for (let i = 0; i < K; i++) ws.Wf[g * K + i] = a * W[g * K + i];
    ws.bf[g] = beta[g] - a * rm[g];
  }
  ws.backend.gemm(false, true, B, G, K, 1, z, ws.Wf, 0, ws.logits);
  ws.backend.addRowVector(B, G, ws.logits, ws.bf);
}

/**
 * Backward of decoderForwardTrain from ws.dLogits [B,G]: overwrites the gradients of W, gamma,
 * beta and ws.dz [B,K]. Uses the BatchNorm backward kernel on the materialised d = z W^T: an
 * algebraic O(G K^2) backward exists too, but it subtracts two large terms for dz (sum_b dz_b is 0
 * in exact arithmetic) and lost a factor ~4 of float32 accuracy on the golden gradients.
 */
export function decoderBackward(ws: LdvaeWorkspace, st: LdvaeState, z: F32, B: number): void {
  const { G, K } = ws.dims;
  const f = ws.fold;
  const be = ws.backend;
  const p = names.dec('factor_regressor');
  const W = st.t.get(`${p}.0.weight`)!, gamma = st.t.get(`${p}.1.weight`)!;
  const dW = ws.grads.get(`${p}.0.weight`)!, dGamma = ws.grads.get(`${p}.1.weight`)!, dBeta = ws.grads.get(`${p}.1.bias`)!;
  const beta = st.t.get(`${p}.1.bias`)!;
  // The BN backward needs xhat = (d - mean) invStd. It equals (logits - beta) / gamma, so the kernel
  // gets x = logits, mean = beta, invStd = 1/gamma and gamma' = gamma^2 invStd (gamma' invStd' =
  // gamma invStd, its dx factor) instead of recomputing d = z W^T with a [B,K]x[K,G] GEMM. A gamma
  // of 0 (or one whose 1/gamma or gamma^2 invStd leaves float32) falls back to the GEMM.
  let fromLogits = true;
  for (let g = 0; g < G; g++) {
    const gm = gamma[g];
    const inv = Math.fround(1 / gm), gp = Math.fround(gm * gm * f.invStd[g]);
    if (!(Number.isFinite(inv) && Number.isFinite(gp) && gp !== 0)) {
      fromLogits = false;
      break;
    }
    ws.meanF[g] = beta[g];
    ws.invStdF[g] = inv;
    ws.gammaF[g] = gp;
  }
  dGamma.fill(0);
  dBeta.fill(0);
  if (fromLogits) {
    be.batchNormBackward(B, G, ws.logits, ws.dLogits, ws.gammaF, ws.meanF, ws.invStdF, ws.dLogits, dGamma, dBeta);
  } else {
    be.gemm(false, true, B, G, K, 1, z, W, 0, ws.logits); // d = z W^T [B,G] (the logits are not needed any more)
    be.batchNormBackward(B, G, ws.logits, ws.dLogits, gamma, f.mean, f.invStd, ws.dLogits, dGamma, dBeta);
  }
  // dLogits now holds dD, the gradient of d = z W^T (the BN backward ran in place)
  be.gemm(true, false, G, K, B, 1, ws.dLogits, z, 0, dW); // dW [G,K] = dD^T z
  be.gemm(false, false, B, K, G, 1, ws.dLogits, W, 0, ws.dz); // dz [B,K] = dD W
}

function bumpCount(st: LdvaeState, name: string): void {
  st.counts.set(name, (st.counts.get(name) ?? 0n) + 1n);
}

/** Running statistics of the unused ZINB head's BN from the same zbar and C (O(G K^2)). */
function dropoutHeadRunningStats(st: LdvaeState, f: DecoderFold, B: number, bn: BnOpts): void {
  const { G, K } = st.dims;
  const p = names.dec('px_dropout_decoder');
  const W = st.t.get(`${p}.0.weight`)!;
  const rm = st.t.get(`${p}.1.running_mean`)!;
  const rv = st.t.get(`${p}.1.running_var`)!;
  const { zbar, cov } = f;
  const m = bn.momentum;
  for (let g = 0; g < G; g++) {
    let mu = 0;
    for (let i = 0; i < K; i++) mu += W[g * K + i] * zbar[i];
    const v = quadForm(cov, W, g * K, K);
    rm[g] = (1 - m) * rm[g] + m * mu;
    rv[g] = (1 - m) * rv[g] + (m * v * B) / (B - 1);
  }
  bumpCount(st, `${p}.1.num_batches_tracked`);
}

/**
 * Deferred form of dropoutHeadRunningStats for training loops. The head's weight W' never changes
 * (it gets no gradient), and the running stats are linear in zbar and C, so the per-step EMA can run
 * on zbar [K] and C [K,K] instead of on [G]:
 *   running_mean_n = (1-m)^n running_mean_0 + W' (sum_t m (1-m)^(n-t) zbar_t)
 *   running_var_n  = (1-m)^n running_var_0  + diag(W' (sum_t m B_t/(B_t-1) (1-m)^(n-t) C_t) W'^T)
 * O(K^2) a step; flushDropoutHead writes the [G] stats (the trainer calls it at every epoch end, so
 * a resumed run flushes at the same points as an uninterrupted one).
 */
function accumulateDropoutHead(st: LdvaeState, f: DecoderFold, B: number, bn: BnOpts): void {
  const { K } = st.dims;
  const h = f.head;
  const m = bn.momentum;
  const u = (m * B) / (B - 1);
  for (let k = 0; k < K; k++) h.z[k] = (1 - m) * h.z[k] + m * f.zbar[k];
  for (let i = 0; i < K * K; i++) h.cov[i] = (1 - m) * h.cov[i] + u * f.cov[i];
  h.decay *= 1 - m;
  h.pending = true;
  bumpCount(st, `${names.dec('px_dropout_decoder')}.1.num_batches_tracked`);
}

/** Writes the deferred ZINB-head running statistics into the state (no-op when nothing is pending). */
export function flushDropoutHead(ws: LdvaeWorkspace, st: LdvaeState): void {
  const h = ws.fold.head;
  if (!h.pending) return;
  const { G, K } = st.dims;
  const p = names.dec('px_dropout_decoder');
  const W = st.t.get(`${p}.0.weight`)!;
  const rm = st.t.get(`${p}.1.running_mean`)!;
  const rv = st.t.get(`${p}.1.running_var`)!;
  for (let g = 0; g < G; g++) {
    let mu = 0;
    for (let i = 0; i < K; i++) mu += W[g * K + i] * h.z[i];
    rm[g] = h.decay * rm[g] + mu;
    rv[g] = h.decay * rv[g] + quadForm(h.cov, W, g * K, K);
  }
  h.z.fill(0);
  h.cov.fill(0);
  h.decay = 1;
  h.pending = false;
}
