/**
 * WASM glue for the normalisation, softmax, embedding, attention and NB-loss kernels: argument
 * checks, staging, and how each kernel is split over threads (see the comments per kernel).
 */
import { ScmixError } from '../../errors.js';
import type { Backend, F32, I32 } from '../backend.js';
import {
  checkAttentionBackward, checkAttentionForward, checkBatchNormBackward, checkBatchNormForward, checkBatchNormInference, checkCrossEntropyRows, checkGatherRows,
  checkLayerNormBackward, checkLayerNormForward, checkLinearBatchNormFold, checkNbLossRows, checkScatterAddRows, checkSoftmaxRows, checkSoftmaxRowsBackward,
} from './checks.js';

type Arr = F32 | I32;

/** Per-row cost of a CSR-driven kernel, for splitting its rows into shares of equal work. */
export interface RowWeights {
  readonly indptr: I32;
  readonly perRow: number;
  readonly perNnz: number;
}
export interface NnContext {
  par(name: string, total: number, minShare: number, args: (lo: number, hi: number, t: number) => number[], align?: number, w?: RowWeights): void;
  call<R>(fn: () => R): R;
  inp(a: Arr | null | undefined): number;
  outp(a: Arr | null | undefined): number;
  /** per-thread scratch of at least `bytes`: thread t uses base + t * stride() */
  scratch(bytes: number): { base: number; stride: () => number };
  /** a cached temporary region of at least `bytes` under `key` (contents undefined) */
  temp(key: string, bytes: number): number;
  buf(): ArrayBufferLike;
  /** per-thread scratch bytes of the attention kernels for head size Dh */
  attnScratch(Dh: number): number;
  /** float64 table of log(i!) for i < lfN */
  lfTable: number;
  lfN: number;
  T: number;
}

type NnKernels = Pick<Backend,
  | 'batchNormForward' | 'batchNormInference' | 'batchNormBackward' | 'linearBatchNormFold' | 'layerNormForward' | 'layerNormBackward'
  | 'softmaxRows' | 'logSoftmaxRows' | 'softmaxRowsBackward' | 'crossEntropyRows' | 'gatherRows' | 'scatterAddRows'
  | 'attentionForward' | 'attentionBackward' | 'nbLossRows'>;

const BQ = 64; // attention.ts query block

export function wasmNnKernels(c: NnContext): NnKernels {
  const { par, call, inp, outp } = c;
  // at least ~16K elements per thread share (a worker wake-up and join costs ~15-25 us)
  const rowsMin = (N: number) => Math.max(1, Math.ceil(16384 / Math.max(1, N)));
  const colsMin = (M: number) => Math.max(4, Math.ceil(16384 / Math.max(1, M)));
  return {
    // Column statistics: threads own column ranges.
    batchNormForward(M, N, x, gamma, beta, eps, out, mean, invStd) {
      checkBatchNormForward(M, N, x, gamma, beta, out, mean, invStd);
      call(() => {
        const px = inp(x), pg = inp(gamma), pb = inp(beta), po = outp(out), pm = outp(mean), pi = outp(invStd);
        const s = c.scratch(N * 16);
        par('batchNormForward', N, colsMin(M), (lo, hi, t) => [M, N, px, pg, pb, eps, po, pm, pi, s.base + t * s.stride(), lo, hi]);
      });
    },
    batchNormInference(M, N, x, gamma, beta, runningMean, runningVar, eps, out) {
      checkBatchNormInference(M, N, x, gamma, beta, runningMean, runningVar, out);
      call(() => {
        const px = inp(x), pg = inp(gamma), pb = inp(beta), prm = inp(runningMean), prv = inp(runningVar), po = outp(out);
        par('batchNormInference', N, colsMin(M), (lo, hi) => [M, N, px, pg, pb, prm, prv, eps, po, lo, hi]);
      });
    },
    batchNormBackward(M, N, x, dy, gamma, mean, invStd, dx, dgamma, dbeta) {
      checkBatchNormBackward(M, N, x, dy, gamma, mean, invStd, dx, dgamma, dbeta);
      call(() => {
        const px = inp(x), pdy = inp(dy), pg = inp(gamma), pm = inp(mean), pi = inp(invStd), pdx = outp(dx), pdg = outp(dgamma), pdb = outp(dbeta);
        const s = c.scratch(N * 28 + 64);
        par('batchNormBackward', N, colsMin(M), (lo, hi, t) => [M, N, px, pdy, pg, pm, pi, pdx, pdg, pdb, s.base + t * s.stride(), lo, hi]);
      });
    },
    // Rows of W split (each row independent); K*K + 3K float64 scratch per thread.
    linearBatchNormFold(N, K, W, xMean, xCov, gamma, beta, eps, Wf, bf, mean, variance, invStd) {
      checkLinearBatchNormFold(N, K, W, xMean, xCov, gamma, beta, Wf, bf, mean, variance, invStd);
      call(() => {
        const pw = inp(W), pxm = inp(xMean), pxc = inp(xCov), pg = inp(gamma), pb = inp(beta);
        const pwf = outp(Wf), pbf = outp(bf), pm = outp(mean), pv = outp(variance), pi = outp(invStd);
        const s = c.scratch((K * K + 3 * K) * 8 + 64);
        par('linearBnFold', N, Math.max(2, Math.ceil(65536 / Math.max(1, K * K))), (lo, hi, t) => [K, pw, pxm, pxc, pg, pb, eps, pwf, pbf, pm, pv, pi, s.base + t * s.stride(), lo, hi], 2);
      });
    },
    // Rows split for the forward and dx; dgamma/dbeta are column sums over all rows (columns split).
    layerNormForward(M, N, x, gamma, beta, eps, out, mean, invStd) {
      checkLayerNormForward(M, N, x, gamma, beta, out, mean, invStd);
      call(() => {
        const px = inp(x), pg = inp(gamma), pb = inp(beta), po = outp(out), pm = outp(mean), pi = outp(invStd);
        par('layerNormForward', M, rowsMin(N), (lo, hi) => [N, px, pg, pb, eps, po, pm, pi, lo, hi]);
      });
    },
    layerNormBackward(M, N, x, dy, gamma, mean, invStd, dx, dgamma, dbeta) {
      checkLayerNormBackward(M, N, x, dy, mean, invStd, dx);
      call(() => {
        const px = inp(x), pdy = inp(dy), pg = inp(gamma), pm = inp(mean), pi = inp(invStd), pdx = outp(dx), pdg = outp(dgamma), pdb = outp(dbeta);
        par('layerNormBackwardDx', M, rowsMin(N), (lo, hi) => [N, px, pdy, pg, pm, pi, pdx, lo, hi]);
        const s = c.scratch(N * 16);
        par('layerNormBackwardParams', N, colsMin(M), (lo, hi, t) => [M, N, px, pdy, pm, pi, pdg, pdb, s.base + t * s.stride(), lo, hi]);
      });
    },
    softmaxRows(M, N, x, out) {
      checkSoftmaxRows('softmaxRows', M, N, x, out);
      call(() => {
        const px = x === out ? outp(x) : inp(x), po = x === out ? px : outp(out);
        par('softmaxRows', M, rowsMin(N), (lo, hi) => [N, px, po, lo, hi]);
      });
    },
    logSoftmaxRows(M, N, x, out) {
      checkSoftmaxRows('logSoftmaxRows', M, N, x, out);
      call(() => {
        const px = x === out ? outp(x) : inp(x), po = x === out ? px : outp(out);
        par('logSoftmaxRows', M, rowsMin(N), (lo, hi) => [N, px, po, lo, hi]);
      });
    },
    softmaxRowsBackward(M, N, y, dy, dx) {
      checkSoftmaxRowsBackward(M, N, y, dy, dx);
      call(() => {
        const py = inp(y), pdy = dy === dx ? outp(dy) : inp(dy), pdx = dy === dx ? pdy : outp(dx);
        par('softmaxRowsBackward', M, rowsMin(N), (lo, hi) => [N, py, pdy, pdx, lo, hi]);
      });
    },
    crossEntropyRows(M, N, logits, targets, gradScale, dlogits) {
      checkCrossEntropyRows(M, N, logits, targets, dlogits);
      return call(() => {
        const pl = inp(logits), pt = inp(targets), pd = outp(dlogits);
        const loss = c.temp('ce', M * 8);
        par('crossEntropyRows', M, rowsMin(N), (lo, hi) => [N, pl, pt, gradScale, pd, loss, lo, hi]);
        const per = new Float64Array(c.buf(), loss, M);
        let total = 0;
        let count = 0;
        for (let i = 0; i < M; i++) {
          const v = per[i];
          if (v === -Infinity) throw new ScmixError('INPUT_VALUE', `crossEntropyRows: target ${targets[i]} in row ${i} is outside 0..${N - 1}`);
          if (Number.isNaN(v) && targets[i] < 0) continue;
          total += v;
          count++;
        }
        return count > 0 ? total / count : 0;
      });
    },
    gatherRows(n, D, table, ids, out) {
      checkGatherRows(n, D, table, ids, out);
      call(() => {
        const pt = inp(table), pi = inp(ids), po = outp(out);
        par('gatherRows', n, rowsMin(D), (lo, hi) => [D, pt, pi, po, lo, hi]);
      });
    },
    // Threads own column ranges of the table, so repeated ids never race and order is fixed.
    scatterAddRows(n, D, dout, ids, dtable) {
      checkScatterAddRows(n, D, dout, ids, dtable);
      call(() => {
        const pd = inp(dout), pi = inp(ids), pt = outp(dtable);
        par('scatterAddRows', D, n * D < 65536 ? D : 16, (lo, hi) => [n, D, pd, pi, pt, lo, hi], 4);
      });
    },
    attentionForward(B, T, H, Dh, q, k, v, lengths, scale, out, lse) {
      checkAttentionForward(B, T, H, Dh, q, k, v, lengths, out, lse);
      call(() => {
        const pq = inp(q), pk = inp(k), pv = inp(v), pl = inp(lengths), po = outp(out), ps = outp(lse);
        const s = c.scratch(c.attnScratch(Dh));
        const items = B * H * Math.ceil(T / BQ);
        par('attentionForward', items, 1, (lo, hi, t) => [B, T, H, Dh, pq, pk, pv, pl, scale, po, ps, s.base + t * s.stride(), lo, hi]);
      });
    },
    // Three passes: D = rowsum(dout * out); dq over query blocks; dk, dv over key blocks. Each
    // thread owns its output rows, so there are no races, at the cost of recomputing scores twice.
    attentionBackward(B, T, H, Dh, q, k, v, lengths, scale, out, lse, dout, dq, dk, dv) {
      checkAttentionBackward(B, T, H, Dh, q, k, v, lengths, out, lse, dout, dq, dk, dv);
      call(() => {
        const pq = inp(q), pk = inp(k), pv = inp(v), pl = inp(lengths), po = inp(out), ps = inp(lse), pg = inp(dout);
        const pdq = outp(dq), pdk = outp(dk), pdv = outp(dv);
        const Dsum = c.temp('attnD', B * H * T * 4);
        par('attentionRowDot', B * H * T, Math.ceil(8192 / Math.max(1, Dh)), (lo, hi) => [T, H, Dh, po, pg, Dsum, lo, hi]);
        const s = c.scratch(c.attnScratch(Dh));
        const items = B * H * Math.ceil(T / BQ);
        const minItems = 1;
        for (const mode of [0, 1]) {
          par('attentionBackward', items, minItems, (lo, hi, t) => [mode, B, T, H, Dh, pq, pk, pv, pl, scale, ps, Dsum, pg, pdq, pdk, pdv, s.base + t * s.stride(), lo, hi]);
        }
      });
    },
    // Rows split over threads; dPxR partials per thread (float64) are reduced in thread order.
    nbLossRows(B, G, logits, logLib, pxR, x, gradScale, rec, dLogits, dLogLib, dPxR, rhoOut) {
      checkNbLossRows(B, G, logits, logLib, pxR, x, rec, dLogits, dLogLib, dPxR, rhoOut);
      if (B === 0 || G === 0) return;
      call(() => {
        const pl = inp(logits), pll = inp(logLib), pp = inp(pxR), ip = inp(x.indptr), ix = inp(x.indices), iv = inp(x.values);
        const pr = outp(rec), pdl = outp(dLogits), pdll = outp(dLogLib), pdp = outp(dPxR), pro = outp(rhoOut);
        const consts = c.temp('nbConsts', G * 64);
        const lgTh = consts, dgTh = consts + G * 8, lg12 = consts + G * 16, dg12 = consts + G * 32; // float64 first (8-byte aligned)
        const theta = consts + G * 48, invTe = consts + G * 52, tte = consts + G * 56;
        const grads = !!(dLogits || dLogLib || dPxR);
        par('nbPrep', G, 2048, (lo, hi) => [pp, theta, invTe, tte, lgTh, grads ? dgTh : 0, lg12, dg12, lo, hi], 2);
        const s = c.scratch(G * 12 + 64);
        const shares = Math.max(1, Math.min(c.T, B));
        const parts = dPxR ? c.temp('nbParts', shares * G * 8) : 0;
        if (parts) new Float64Array(c.buf(), parts, shares * G).fill(0);
        // a row's dense part (G entries) against its nonzeros (each ~3.5 entries' worth of float64 work)
        par('nbLossRows', B, Math.ceil(B / shares), (lo, hi, t) => [G, pl, pll, theta, invTe, tte, lgTh, dgTh, lg12, dg12, c.lfTable, c.lfN, ip, ix, iv, gradScale, pr, pdl, pdll,
          parts ? parts + t * G * 8 : 0, pro, s.base + t * s.stride(), lo, hi], 1, { indptr: x.indptr, perRow: G, perNnz: 3.5 });
        if (parts) par('nbReduce', G, 4096, (lo, hi) => [G, shares, parts, pdp, lo, hi]);
      });
    },
  };
}
