/**
 * The trained LDVAE as users see it: genes, config, history and the scvi-tools inference API
 * (get_latent_representation, get_normalized_expression, get_loadings) plus per-gene residuals.
 * Owns its tensors (backend memory) and a lazily built eval workspace.
 */
import type { Backend } from '../../engine/index.js';
import type { Csr } from '../../io/index.js';
import { Rng } from '../../data/rng.js';
import { ScmixError } from '../../errors.js';
import type { LdvaeConfig } from './config.js';
import type { LdvaeState } from './params.js';
import { names } from './params.js';
import type { AdamState } from './optimizer.js';
import { type LdvaeWorkspace, createWorkspace, decodeScale, encode } from './module.js';
import { createBatchCsr, freeBatchCsr } from './cellBatches.js';

/** One epoch of training history (scvi-tools `model.history` names). */
export interface LdvaeHistoryRow {
  epoch: number;
  elbo_train: number;
  reconstruction_loss_train: number;
  kl_local_train: number;
  kl_weight: number;
  /** batch-size-weighted mean of the optimised loss (includes kl_weight) */
  train_loss_epoch: number;
  seconds: number;
  cells_per_s: number;
  elbo_validation?: number;
  reconstruction_loss_validation?: number;
  kl_local_validation?: number;
}

export interface NormalizedExpressionOptions {
  /** multiply px_scale by this (default config.librarySize = 1e4) */
  librarySize?: number;
  /** z sampled from q(z|x) as scvi does (default true); false uses the posterior mean */
  sample?: boolean;
  /** seed of the z noise when sampling (default 0) */
  seed?: number;
}

/** Per-gene statistics of observed vs reconstructed log1p(CP10k) values over cells. */
export interface GeneResidualStats {
  readonly genes: readonly string[];
  readonly meanObserved: Float64Array;
  readonly meanPredicted: Float64Array;
  /** mean of observed - predicted */
  readonly meanResidual: Float64Array;
  readonly rmse: Float64Array;
  /** Pearson r across cells (NaN for a constant gene) */
  readonly pearson: Float64Array;
}

const INFER_B = 128;

export class LdvaeModel {
  private ws: LdvaeWorkspace | null = null;

  constructor(
    readonly backend: Backend,
    readonly config: Readonly<LdvaeConfig>,
    readonly genes: readonly string[],
    readonly state: LdvaeState,
    readonly history: LdvaeHistoryRow[],
    readonly libraryPrior: { mean: number; variance: number },
    /** Adam moments and step, kept for --resume (null for weights-only models) */
    readonly optimizer: AdamState | null,
    /** what the model was trained on (cells, nnz, a content hash), checked by --resume */
    readonly trainingData: { nCells: number; nnz: number; fingerprint: string } | null = null,
  ) {}

  /** epochs trained so far */
  get epochsDone(): number {
    return this.history.length;
  }

  private workspace(): LdvaeWorkspace {
    this.ws ??= createWorkspace(this.backend, this.state, INFER_B, 0, false);
    return this.ws;
  }

  private checkGenes(X: Csr, what: string): void {
    if (X.nCols !== this.genes.length) {
      throw new ScmixError('GENES_MISMATCH', `${what}: data has ${X.nCols} genes, the model has ${this.genes.length}`, { hint: 'align the data to the model genes first (alignQuery / `scmix ldvae` does this from var names)' });
    }
  }

  /** Run the eval-mode z-encoder over X in batches; `each(start, B)` reads ws.zEnc. */
  private forEachBatch(X: Csr, eps: Rng | null, each: (start: number, B: number, ws: LdvaeWorkspace) => void): void {
    const ws = this.workspace();
    const batch = createBatchCsr(this.backend, X, INFER_B);
    const K = this.state.dims.K;
    try {
      for (let s = 0; s < X.nRows; s += INFER_B) {
        const e = Math.min(X.nRows, s + INFER_B);
        batch.gather(X, null, s, e);
        const view = batch.logView;
        const B = e - s;
        if (eps) for (let i = 0; i < B * K; i++) ws.zEnc.eps[i] = eps.normal();
        else ws.zEnc.eps.fill(0);
        encode(ws, this.state, ws.zEnc, view, false, { eps: this.config.bnEps, momentum: this.config.bnMomentum }, 0, this.config.varEps);
        each(s, B, ws);
      }
    } finally {
      freeBatchCsr(this.backend, batch);
    }
  }

  /** Posterior mean of z (eval mode): Float32Array [N, K]. @throws GENES_MISMATCH */
  latent(X: Csr): Float32Array {
    this.checkGenes(X, 'latent');
    const K = this.state.dims.K;
    const out = new Float32Array(X.nRows * K);
    this.forEachBatch(X, null, (s, B, ws) => out.set(ws.zEnc.qm.subarray(0, B * K), s * K));
    return out;
  }

  /**
   * px_scale x librarySize (eval mode), z sampled with `seed` like scvi (default) or the mean:
   * Float32Array [N, G], rows summing to librarySize. @throws GENES_MISMATCH
   */
  normalizedExpression(X: Csr, opts: NormalizedExpressionOptions = {}): Float32Array {
    this.checkGenes(X, 'normalizedExpression');
    const G = this.genes.length;
    const lib = opts.librarySize ?? this.config.librarySize;
    const sample = opts.sample ?? true;
    const out = new Float32Array(X.nRows * G);
    const rho = this.backend.allocF32(INFER_B * G);
    try {
      this.forEachBatch(X, sample ? new Rng(opts.seed ?? 0) : null, (s, B, ws) => {
        decodeScale(ws, this.state, sample ? ws.zEnc.sample : ws.zEnc.qm, B, this.config.bnEps, rho);
        for (let i = 0; i < B * G; i++) out[s * G + i] = rho[i] * lib;
      });
    } finally {
      this.backend.free(rho);
    }
    return out;
  }

  /** get_loadings: diag(gamma / sqrt(running_var + eps)) W, Float32Array [G, K] (columns Z_0..Z_{K-1}). */
  loadings(): Float32Array {
    const { G, K } = this.state.dims;
    const p = names.dec('factor_regressor');
    const W = this.state.t.get(`${p}.0.weight`)!;
    const gamma = this.state.t.get(`${p}.1.weight`)!;
    const rv = this.state.t.get(`${p}.1.running_var`)!;
    const out = new Float32Array(G * K);
    for (let g = 0; g < G; g++) {
      const b = Math.fround(gamma[g] / Math.fround(Math.sqrt(Math.fround(rv[g] + this.config.bnEps))));
      for (let k = 0; k < K; k++) out[g * K + k] = b * W[g * K + k];
    }
    return out;
  }

  /**
   * Per-gene residuals between observed log1p(CP10k) (scanpy normalize_total(1e4) + log1p, over
   * the model genes) and log1p(librarySize * px_scale) (sampled like the study's evaluation unless
   * sample: false). Accumulated in float64 over cells. @throws GENES_MISMATCH
   */
  residualStats(X: Csr, opts: NormalizedExpressionOptions = {}): GeneResidualStats {
    this.checkGenes(X, 'residualStats');
    const G = this.genes.length;
    const pred = this.normalizedExpression(X, opts);
    const so = new Float64Array(G), sp = new Float64Array(G), soo = new Float64Array(G), spp = new Float64Array(G), sop = new Float64Array(G);
    const o = new Float64Array(G);
    for (let r = 0; r < X.nRows; r++) {
      o.fill(0);
      let tot = 0;
      for (let p = X.indptr[r]; p < X.indptr[r + 1]; p++) tot += X.data[p];
      const f = tot > 0 ? Math.fround(Math.fround(tot) / 1e4) : 1;
      for (let p = X.indptr[r]; p < X.indptr[r + 1]; p++) o[X.indices[p]] = Math.log1p(Math.fround(X.data[p] / f));
      for (let g = 0; g < G; g++) {
        const pv = Math.log1p(pred[r * G + g]);
        const ov = o[g];
        so[g] += ov; sp[g] += pv; soo[g] += ov * ov; spp[g] += pv * pv; sop[g] += ov * pv;
      }
    }
    const n = X.nRows;
    const meanObserved = new Float64Array(G), meanPredicted = new Float64Array(G), meanResidual = new Float64Array(G), rmse = new Float64Array(G), pearson = new Float64Array(G);
    for (let g = 0; g < G; g++) {
      const mo = so[g] / n, mp = sp[g] / n;
      meanObserved[g] = mo;
      meanPredicted[g] = mp;
      meanResidual[g] = mo - mp;
      rmse[g] = Math.sqrt(Math.max(0, (soo[g] - 2 * sop[g] + spp[g]) / n));
      const cov = sop[g] / n - mo * mp, vo = soo[g] / n - mo * mo, vp = spp[g] / n - mp * mp;
      pearson[g] = vo > 0 && vp > 0 ? cov / Math.sqrt(vo * vp) : NaN;
    }
    return { genes: this.genes, meanObserved, meanPredicted, meanResidual, rmse, pearson };
  }

  /** Free backend buffers (tensors, optimizer, workspace); the model is unusable afterwards. */
  dispose(): void {
    this.state.t.forEach((a) => this.backend.free(a));
    this.optimizer?.m.forEach((a) => this.backend.free(a));
    this.optimizer?.v.forEach((a) => this.backend.free(a));
    this.ws = null;
  }
}
