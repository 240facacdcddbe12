/**
 * Reference (float64, plain loop) kernels for normalisation, softmax, embeddings, attention and the
 * fused negative-binomial head. Spread into the reference backend.
 */
import { ScmixError } from '../../errors.js';
import type { Backend } from '../backend.js';
import {
  checkBatchNormBackward, checkBatchNormForward, checkBatchNormInference, checkCrossEntropyRows, checkGatherRows, checkLayerNormBackward, checkLayerNormForward,
  checkLinearBatchNormFold, checkNbLossRows, checkScatterAddRows, checkSoftmaxRows, checkSoftmaxRowsBackward,
} from './checks.js';
import { referenceAttentionKernels } from './referenceAttention.js';
import { digamma, lgamma } from './special.js';

type NnKernels = Pick<Backend,
  | 'batchNormForward' | 'batchNormInference' | 'batchNormBackward' | 'linearBatchNormFold' | 'layerNormForward' | 'layerNormBackward'
  | 'softmaxRows' | 'logSoftmaxRows' | 'softmaxRowsBackward' | 'crossEntropyRows' | 'gatherRows' | 'scatterAddRows'
  | 'attentionForward' | 'attentionBackward' | 'nbLossRows'>;

/** eps of scvi's log_nb_positive. */
export const NB_EPS = 1e-8;

export const referenceNnKernels: NnKernels = {
  batchNormForward(M, N, x, gamma, beta, eps, out, mean, invStd) {
    checkBatchNormForward(M, N, x, gamma, beta, out, mean, invStd);
    for (let j = 0; j < N; j++) {
      let s = 0;
      for (let i = 0; i < M; i++) s += x[i * N + j];
      const mu = M > 0 ? s / M : 0;
      let ss = 0;
      for (let i = 0; i < M; i++) ss += (x[i * N + j] - mu) ** 2;
      const is = 1 / Math.sqrt((M > 0 ? ss / M : 0) + eps);
      mean[j] = mu;
      invStd[j] = is;
      for (let i = 0; i < M; i++) out[i * N + j] = gamma[j] * (x[i * N + j] - mu) * is + beta[j];
    }
  },

  linearBatchNormFold(N, K, W, xMean, xCov, gamma, beta, eps, Wf, bf, mean, variance, invStd) {
    checkLinearBatchNormFold(N, K, W, xMean, xCov, gamma, beta, Wf, bf, mean, variance, invStd);
    for (let n = 0; n < N; n++) {
      const o = n * K;
      let mu = 0, v = 0;
      for (let i = 0; i < K; i++) {
        mu += W[o + i] * xMean[i];
        let u = 0;
        for (let j = 0; j < K; j++) u += xCov[i * K + j] * W[o + j];
        v += W[o + i] * u;
      }
      const is = 1 / Math.sqrt(v + eps);
      const a = gamma[n] * is;
      mean[n] = mu;
      variance[n] = v;
      invStd[n] = is;
      for (let i = 0; i < K; i++) Wf[o + i] = a * W[o + i];
      bf[n] = beta[n] - a * mu;
    }
  },

  batchNormInference(M, N, x, gamma, beta, runningMean, runningVar, eps, out) {
    checkBatchNormInference(M, N, x, gamma, beta, runningMean, runningVar, out);
    for (let j = 0; j < N; j++) {
      const is = 1 / Math.sqrt(runningVar[j] + eps);
      for (let i = 0; i < M; i++) out[i * N + j] = gamma[j] * (x[i * N + j] - runningMean[j]) * is + beta[j];
    }
  },

  batchNormBackward(M, N, x, dy, gamma, mean, invStd, dx, dgamma, dbeta) {
    checkBatchNormBackward(M, N, x, dy, gamma, mean, invStd, dx, dgamma, dbeta);
    for (let j = 0; j < N; j++) {
      let sdy = 0;
      let sdyx = 0;
      for (let i = 0; i < M; i++) {
        const xh = (x[i * N + j] - mean[j]) * invStd[j];
        sdy += dy[i * N + j];
        sdyx += dy[i * N + j] * xh;
      }
      dbeta[j] += sdy;
      dgamma[j] += sdyx;
      const k = (gamma[j] * invStd[j]) / M;
      for (let i = 0; i < M; i++) {
        const xh = (x[i * N + j] - mean[j]) * invStd[j];
        dx[i * N + j] = k * (M * dy[i * N + j] - sdy - xh * sdyx);
      }
    }
  },

  layerNormForward(M, N, x, gamma, beta, eps, out, mean, invStd) {
    checkLayerNormForward(M, N, x, gamma, beta, out, mean, invStd);
    for (let i = 0; i < M; i++) {
      let s = 0;
      for (let j = 0; j < N; j++) s += x[i * N + j];
      const mu = N > 0 ? s / N : 0;
      let ss = 0;
      for (let j = 0; j < N; j++) ss += (x[i * N + j] - mu) ** 2;
      const is = 1 / Math.sqrt((N > 0 ? ss / N : 0) + eps);
      mean[i] = mu;
      invStd[i] = is;
      for (let j = 0; j < N; j++) out[i * N + j] = gamma[j] * (x[i * N + j] - mu) * is + beta[j];
    }
  },

  layerNormBackward(M, N, x, dy, gamma, mean, invStd, dx, dgamma, dbeta) {
    checkLayerNormBackward(M, N, x, dy, mean, invStd, dx);
    const dg = new Float64Array(N);
    const db = new Float64Array(N);
    for (let i = 0; i < M; i++) {
      let sg = 0;
      let sgx = 0;
      for (let j = 0; j < N; j++) {
        const xh = (x[i * N + j] - mean[i]) * invStd[i];
        const g = dy[i * N + j] * gamma[j];
        sg += g;
        sgx += g * xh;
        dg[j] += dy[i * N + j] * xh;
        db[j] += dy[i * N + j];
      }
      for (let j = 0; j < N; j++) {
        const xh = (x[i * N + j] - mean[i]) * invStd[i];
        dx[i * N + j] = (invStd[i] / N) * (N * dy[i * N + j] * gamma[j] - sg - xh * sgx);
      }
    }
    for (let j = 0; j < N; j++) {
      dgamma[j] += dg[j];
      dbeta[j] += db[j];
    }
  },

  softmaxRows(M, N, x, out) {
    checkSoftmaxRows('softmaxRows', M, N, x, out);
    const row = new Float64Array(N);
    for (let i = 0; i < M; i++) {
      softmaxInto(x, i * N, N, row);
      for (let j = 0; j < N; j++) out[i * N + j] = row[j];
    }
  },

  logSoftmaxRows(M, N, x, out) {
    checkSoftmaxRows('logSoftmaxRows', M, N, x, out);
    for (let i = 0; i < M; i++) {
      const lse = logSumExp(x, i * N, N);
      for (let j = 0; j < N; j++) out[i * N + j] = x[i * N + j] - lse;
    }
  },

  softmaxRowsBackward(M, N, y, dy, dx) {
    checkSoftmaxRowsBackward(M, N, y, dy, dx);
    for (let i = 0; i < M; i++) {
      let s = 0;
      for (let j = 0; j < N; j++) s += dy[i * N + j] * y[i * N + j];
      for (let j = 0; j < N; j++) dx[i * N + j] = y[i * N + j] * (dy[i * N + j] - s);
    }
  },

  crossEntropyRows(M, N, logits, targets, gradScale, dlogits) {
    checkCrossEntropyRows(M, N, logits, targets, dlogits);
    let total = 0;
    let count = 0;
    for (let i = 0; i < M; i++) {
      const t = targets[i];
      if (t < 0) {
        dlogits.fill(0, i * N, i * N + N);
        continue;
      }
      if (t >= N) throw new ScmixError('INPUT_VALUE', `crossEntropyRows: target ${t} in row ${i} is outside 0..${N - 1}`);
      const lse = logSumExp(logits, i * N, N);
      total += lse - logits[i * N + t];
      count++;
      for (let j = 0; j < N; j++) {
        const p = Math.exp(logits[i * N + j] - lse);
        dlogits[i * N + j] = (p - (j === t ? 1 : 0)) * gradScale;
      }
    }
    // No scored row: 0 (torch would give NaN); the gradient is all zeros either way.
    return count > 0 ? total / count : 0;
  },

  gatherRows(n, D, table, ids, out) {
    checkGatherRows(n, D, table, ids, out);
    for (let i = 0; i < n; i++) {
      const r = ids[i];
      for (let d = 0; d < D; d++) out[i * D + d] = table[r * D + d];
    }
  },

  scatterAddRows(n, D, dout, ids, dtable) {
    checkScatterAddRows(n, D, dout, ids, dtable);
    for (let i = 0; i < n; i++) {
      const r = ids[i];
      for (let d = 0; d < D; d++) dtable[r * D + d] += dout[i * D + d];
    }
  },

  ...referenceAttentionKernels,

  nbLossRows(B, G, logits, logLib, pxR, x, gradScale, rec, dLogits, dLogLib, dPxR, rhoOut) {
    checkNbLossRows(B, G, logits, logLib, pxR, x, rec, dLogits, dLogLib, dPxR, rhoOut);
    const eps = NB_EPS;
    const rho = new Float64Array(G);
    const xs = new Float64Array(G); // dense counts of the row
    const gmu = new Float64Array(G); // d rec / d mu
    const dpx = new Float64Array(G);
    for (let b = 0; b < B; b++) {
      softmaxInto(logits, b * G, G, rho);
      xs.fill(0);
      for (let p = x.indptr[b]; p < x.indptr[b + 1]; p++) xs[x.indices[p]] += x.values[p];
      const lib = Math.exp(logLib[b]);
      let r = 0;
      for (let g = 0; g < G; g++) {
        const th = Math.exp(pxR[g]);
        const mu = lib * rho[g];
        const xv = xs[g];
        const lthm = Math.log(th + mu + eps);
        let ll = th * (Math.log(th + eps) - lthm);
        let dmu = th / (th + mu + eps);
        let dth = -(Math.log(th + eps) - lthm + th / (th + eps) - th / (th + mu + eps));
        if (xv !== 0) {
          ll += xv * (Math.log(mu + eps) - lthm) + lgamma(xv + th) - lgamma(th) - lgamma(xv + 1);
          dmu += xv / (th + mu + eps) - xv / (mu + eps);
          dth -= -xv / (th + mu + eps) + digamma(xv + th) - digamma(th);
        }
        r -= ll;
        gmu[g] = gradScale * dmu;
        dpx[g] += gradScale * dth * th;
      }
      rec[b] = r;
      // mu = exp(l) * softmax(logits): d/dl = sum_g gmu mu; d/dlogit_k = mu_k gmu_k - rho_k * d/dl.
      let dl = 0;
      for (let g = 0; g < G; g++) dl += gmu[g] * lib * rho[g];
      if (dLogLib) dLogLib[b] = dl;
      if (dLogits) for (let g = 0; g < G; g++) dLogits[b * G + g] = lib * rho[g] * gmu[g] - rho[g] * dl;
      if (rhoOut) for (let g = 0; g < G; g++) rhoOut[b * G + g] = rho[g];
    }
    if (dPxR) for (let g = 0; g < G; g++) dPxR[g] += dpx[g];
  },
};

/** Numerically stable softmax of x[off..off+n) into out (float64). */
function softmaxInto(x: ArrayLike<number>, off: number, n: number, out: Float64Array): void {
  let m = -Infinity;
  for (let j = 0; j < n; j++) if (x[off + j] > m) m = x[off + j];
  let s = 0;
  for (let j = 0; j < n; j++) {
    out[j] = Math.exp(x[off + j] - m);
    s += out[j];
  }
  for (let j = 0; j < n; j++) out[j] /= s;
}

function logSumExp(x: ArrayLike<number>, off: number, n: number): number {
  let m = -Infinity;
  for (let j = 0; j < n; j++) if (x[off + j] > m) m = x[off + j];
  if (m === -Infinity) return -Infinity;
  let s = 0;
  for (let j = 0; j < n; j++) s += Math.exp(x[off + j] - m);
  return m + Math.log(s);
}
