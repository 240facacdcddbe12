/**
 * The linear decoder with its BatchNorm over G genes, folded into one GEMM.
 *
 * d = z W^T [B,G] is linear in z, so its batch statistics follow from the batch mean zbar and the
 * biased covariance C of z [K,K]: mean_g = w_g . zbar, var_g = w_g^T C w_g. BN(d) is then
 *   logits = z (diag(a) W)^T + (beta - a * mean),   a = gamma / sqrt(var + eps)
 * i.e. one [B,K]x[K,G] GEMM plus a bias row, with no [B,G] statistics passes. Same function as
 * BatchNorm1d (train: batch stats; eval: running stats); the golden tests check it.
 */
import type { F32 } from '../../engine/index.js';
import type { LdvaeState } from './params.js';
import { names } from './params.js';
import type { BnOpts, LdvaeWorkspace } from './module.js';

/** Scratch of the folded decoder (float64 where sums of K terms need it). */
export interface DecoderFold {
  readonly mean: Float64Array; /** [G] batch mean of d */
  readonly invStd: Float64Array; /** [G] */
  readonly cw: Float64Array; /** [G,K] C w_g */
  readonly zbar: Float64Array; /** [K] */
  readonly cov: Float64Array; /** [K,K] biased */
}

export function createDecoderFold(G: number, K: number): DecoderFold {
  return { mean: new Float64Array(G), invStd: new Float64Array(G), cw: new Float64Array(G * K), zbar: new Float64Array(K), cov: new Float64Array(K * K) };
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
}

/**
 * Train mode: logits [B,G] = BN_batch(z W^T), running statistics updated (and those of the unused
 * ZINB head, whose BN sees z W'^T, when `dropoutHead`). Leaves ws.Wf = diag(a) W for the backward.
 */
export function decoderForwardTrain(ws: LdvaeWorkspace, st: LdvaeState, z: F32, B: number, bn: BnOpts, dropoutHead: boolean): void {
  const { G, K } = ws.dims;
  const f = ws.fold;
  const p = names.dec('factor_regressor');
  const T = st.t;
  const W = T.get(`${p}.0.weight`)!, gamma = T.get(`${p}.1.weight`)!, beta = T.get(`${p}.1.bias`)!;
  const rm = T.get(`${p}.1.running_mean`)!, rv = T.get(`${p}.1.running_var`)!;
  zStats(f, z, B, K);
  const { zbar, cov, cw, mean, invStd } = f;
  const m = bn.momentum, unbias = B / (B - 1);
  for (let g = 0; g < G; g++) {
    const o = g * K;
    let mu = 0, v = 0;
    for (let i = 0; i < K; i++) {
      let acc = 0;
      for (let j = 0; j < K; j++) acc += cov[i * K + j] * W[o + j];
      cw[o + i] = acc;
      mu += W[o + i] * zbar[i];
      v += W[o + i] * acc;
    }
    const is = 1 / Math.sqrt(v + bn.eps);
    mean[g] = mu;
    invStd[g] = is;
    const a = gamma[g] * is;
    for (let i = 0; i < K; i++) ws.Wf[o + i] = a * W[o + i];
    ws.bf[g] = beta[g] - a * mu;
    rm[g] = (1 - m) * rm[g] + m * mu;
    rv[g] = (1 - m) * rv[g] + m * v * unbias;
  }
  bumpCount(st, `${p}.1.num_batches_tracked`);
  ws.backend.gemm(false, true, B, G, K, 1, z, ws.Wf, 0, ws.logits); // [B,K] @ [G,K]^T
  ws.backend.addRowVector(B, G, ws.logits, ws.bf);
  if (dropoutHead) dropoutHeadRunningStats(st, f, B, bn);
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
  for (let g = 0; g < G; g++) {
    ws.meanF[g] = f.mean[g];
    ws.invStdF[g] = f.invStd[g];
  }
  be.gemm(false, true, B, G, K, 1, z, W, 0, ws.dPre); // d = z W^T [B,G]
  dGamma.fill(0);
  dBeta.fill(0);
  be.batchNormBackward(B, G, ws.dPre, ws.dLogits, gamma, ws.meanF, ws.invStdF, ws.dD, dGamma, dBeta);
  be.gemm(true, false, G, K, B, 1, ws.dD, z, 0, dW); // dW [G,K] = dD^T z
  be.gemm(false, false, B, K, G, 1, ws.dD, W, 0, ws.dz); // dz [B,K] = dD W
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
    let mu = 0, v = 0;
    for (let i = 0; i < K; i++) {
      const wi = W[g * K + i];
      mu += wi * zbar[i];
      let acc = 0;
      for (let j = 0; j < K; j++) acc += cov[i * K + j] * W[g * K + j];
      v += wi * acc;
    }
    rm[g] = (1 - m) * rm[g] + m * mu;
    rv[g] = (1 - m) * rv[g] + (m * v * B) / (B - 1);
  }
  bumpCount(st, `${p}.1.num_batches_tracked`);
}
