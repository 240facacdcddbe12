/**
 * The LDVAE training loop (scvi-tools TrainingPlan + Lightning semantics, docs/ldvae-spec.md 4):
 * per epoch: KL weight from the warm-up schedule, reshuffle, forward + backward + Adam per
 * minibatch, epoch-mean metrics, validation every N epochs, checkpoint every M epochs.
 *
 * Determinism: every random stream is derived from (seed, purpose, epoch[, batch]), so a run
 * resumed from an epoch-boundary checkpoint repeats the uninterrupted run bit for bit.
 */
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { type Backend, getBackend } from '../../engine/index.js';
import type { AnnData } from '../../io/index.js';
import { Rng, deriveSeed } from '../../data/rng.js';
import { ScmixError } from '../../errors.js';
import { type LdvaeConfig, type LdvaeConfigInput, klWeightForEpoch, parseLdvaeConfig } from './config.js';
import { initState } from './params.js';
import { createWorkspace, freeWorkspace, step } from './module.js';
import { flushDropoutHead } from './decoderBn.js';
import { adamUpdate, createAdamState } from './optimizer.js';
import { batchBounds, checkCounts, createBatchCsr, freeBatchCsr, epochOrder, libraryPrior, splitTrainValidation } from './cellBatches.js';
import { type LdvaeHistoryRow, LdvaeModel } from './model.js';
import { loadLdvae, saveLdvae } from './checkpoint.js';

export interface LdvaeTrainHooks {
  /** compute backend (default: the process default, getBackend()) */
  backend?: Backend;
  /** names the data in error messages (e.g. the .h5ad path) */
  source?: string;
  /** checkpoint folder: written every checkpointEveryNEpoch epochs and at the end (atomically) */
  outDir?: string;
  /** continue the run checkpointed in outDir (same data, same config except `epochs`) */
  resume?: boolean;
  /** after each epoch, with the history row */
  onEpoch?(row: LdvaeHistoryRow): void;
  /** after each minibatch */
  onBatch?(p: { epoch: number; batch: number; nBatches: number; cellsDone: number; cellsPerEpoch: number; loss: number }): void;
  onWarning?(message: string): void;
  /** stop after this many epochs of THIS call (tests: simulate a killed run) */
  stopAfterEpochs?: number;
}

/** Content hash of the counts (shape, structure, values) used to refuse resuming on other data. */
export function countsFingerprint(ad: AnnData): string {
  const h = createHash('sha256');
  const X = ad.X;
  h.update(`${X.nRows}x${X.nCols}:${X.data.length}`);
  h.update(new Uint8Array(X.indices.buffer, X.indices.byteOffset, X.indices.byteLength));
  h.update(new Uint8Array(X.data.buffer, X.data.byteOffset, X.data.byteLength));
  return h.digest('hex').slice(0, 32);
}

/**
 * Train an LDVAE on raw counts `adata.X` [N cells, G genes] (var index = gene names).
 * @throws ScmixError INPUT_VALUE (NaN / negative / non-integer counts), NOT_ENOUGH_CELLS (< 2
 *   training cells), CONFIG_INVALID, CHECKPOINT_INCOMPATIBLE / GENES_MISMATCH (resume on other data)
 */
export async function trainLdvae(adata: AnnData, cfgIn: LdvaeConfigInput | LdvaeConfig = {}, hooks: LdvaeTrainHooks = {}): Promise<LdvaeModel> {
  const cfg = parseLdvaeConfig(cfgIn);
  const backend = hooks.backend ?? getBackend();
  const source = hooks.source ?? 'training data';
  const X = adata.X;
  const genes = adata.var.index;
  const N = X.nRows;
  const G = X.nCols;
  if (genes.length !== G) throw new ScmixError('SHAPE_MISMATCH', `${source}: ${genes.length} gene names for ${G} columns`);
  const { emptyCells } = checkCounts(X, source, adata.obs.index, genes);
  if (emptyCells > 0) hooks.onWarning?.(`${source}: ${emptyCells} cell(s) have zero total counts (kept; log-library 0 in the prior, as scvi does)`);
  const { train, validation } = splitTrainValidation(N, cfg.trainSize, cfg.seed);
  if (train.length < 2) {
    throw new ScmixError('NOT_ENOUGH_CELLS', `${source}: ${N} cell(s) give ${train.length} training cell(s); BatchNorm needs at least 2`, { hint: 'use more cells or a larger trainSize' });
  }
  const fingerprint = countsFingerprint(adata);

  let model: LdvaeModel;
  const hasCheckpoint = Boolean(hooks.outDir && existsSync(join(hooks.outDir, 'model.json')));
  if (hooks.resume && !hasCheckpoint) hooks.onWarning?.(`nothing to resume in ${hooks.outDir ?? '(no outDir)'}: starting a new run`);
  if (!hooks.resume && hasCheckpoint) hooks.onWarning?.(`${hooks.outDir} holds a checkpoint; this new run will replace it (use resume to continue it)`);
  if (hooks.resume && hasCheckpoint && hooks.outDir) {
    model = loadLdvae(hooks.outDir, { backend, withOptimizer: true });
    checkResumable(model, cfg, genes, fingerprint, N, X.data.length, hooks.outDir);
    model = new LdvaeModel(backend, cfg, model.genes, model.state, model.history, model.libraryPrior, model.optimizer, model.trainingData);
  } else {
    const state = initState(backend, { G, H: cfg.nHidden, K: cfg.nLatent, nLayers: cfg.nLayers }, new Rng(deriveSeed(cfg.seed, 'ldvae-init')));
    const prior = libraryPrior(X);
    state.t.get('library_log_means')![0] = prior.mean;
    state.t.get('library_log_vars')![0] = prior.variance;
    model = new LdvaeModel(backend, cfg, [...genes], state, [], prior, createAdamState(backend, state), { nCells: N, nnz: X.data.length, fingerprint });
  }
  const st = model.state;
  const opt = model.optimizer!;
  const maxB = cfg.batchSize + 1;
  const ws = createWorkspace(backend, st, maxB, cfg.dropoutRate, true);
  const batch = createBatchCsr(backend, X, maxB);
  const bn = { eps: cfg.bnEps, momentum: cfg.bnMomentum };
  const bounds = batchBounds(train.length, cfg.batchSize);
  const nBatches = bounds.length - 1;
  const K = cfg.nLatent;
  try {
    let epochsThisCall = 0;
    let savedAt = -1;
    for (let epoch = model.epochsDone; epoch < cfg.epochs; epoch++) {
      if (hooks.stopAfterEpochs !== undefined && epochsThisCall >= hooks.stopAfterEpochs) break;
      const t0 = performance.now();
      const klWeight = klWeightForEpoch(epoch, cfg);
      const order = epochOrder(train, cfg.seed, epoch);
      const noise = new Rng(deriveSeed(cfg.seed, 'ldvae-noise', epoch));
      let sRec = 0, sKl = 0, sLoss = 0, seen = 0;
      for (let b = 0; b < nBatches; b++) {
        const view = batch.gather(X, order, bounds[b], bounds[b + 1]);
        const B = view.nRows;
        for (let i = 0; i < B * K; i++) ws.zEnc.eps[i] = noise.normal();
        for (let i = 0; i < B; i++) ws.lEnc.eps[i] = noise.normal();
        const r = step(ws, st, view, batch.logView, {
          train: true, klWeight, bn, varEps: cfg.varEps, dropSeed: deriveSeed(cfg.seed, 'ldvae-dropout', epoch, b),
          dropoutHead: cfg.computeDropoutHead ? 'deferred' : false, backward: true, adam: { state: opt, hyper: cfg },
        });
        if (!Number.isFinite(r.loss)) {
          throw new ScmixError('ENGINE_FAILURE', `${source}: the LDVAE loss became ${r.loss} at epoch ${epoch}, batch ${b}`, { hint: 'lower the learning rate (--lr); the last good checkpoint is unchanged' });
        }
        adamUpdate(backend, st, ws.grads, opt, cfg, r.adamDone);
        sRec += r.sums.rec;
        sKl += r.sums.klZ + r.sums.klL;
        sLoss += r.loss * B;
        seen += B;
        hooks.onBatch?.({ epoch, batch: b, nBatches, cellsDone: seen, cellsPerEpoch: train.length, loss: r.loss });
      }
      flushDropoutHead(ws, st); // the ZINB head's running stats, accumulated over the epoch
      const seconds = (performance.now() - t0) / 1000;
      const row: LdvaeHistoryRow = {
        epoch, elbo_train: (sRec + sKl) / seen, reconstruction_loss_train: sRec / seen, kl_local_train: sKl / seen,
        kl_weight: klWeight, train_loss_epoch: sLoss / seen, seconds, cells_per_s: seen / Math.max(seconds, 1e-9),
      };
      if (cfg.checkValEveryNEpoch > 0 && (epoch + 1) % cfg.checkValEveryNEpoch === 0 && validation.length > 0) {
        Object.assign(row, validate(ws, model, X, validation, epoch));
      }
      model.history.push(row);
      hooks.onEpoch?.(row);
      epochsThisCall++;
      const last = epoch === cfg.epochs - 1;
      if (hooks.outDir && (last || (cfg.checkpointEveryNEpoch > 0 && (epoch + 1) % cfg.checkpointEveryNEpoch === 0))) {
        saveLdvae(model, hooks.outDir);
        savedAt = model.epochsDone;
      }
      await new Promise<void>((r) => setImmediate(r)); // let signals and output through between epochs
    }
    if (hooks.outDir && model.history.length > 0 && savedAt !== model.epochsDone) saveLdvae(model, hooks.outDir);
  } finally {
    freeWorkspace(ws);
    freeBatchCsr(backend, batch);
  }
  return model;
}

/** Eval-mode ELBO on the validation cells (z and library sampled, as scvi's validation_step). */
function validate(ws: ReturnType<typeof createWorkspace>, model: LdvaeModel, X: AnnData['X'], cells: Int32Array, epoch: number) {
  const cfg = model.config;
  const K = cfg.nLatent;
  const batch = createBatchCsr(model.backend, X, ws.maxB);
  const noise = new Rng(deriveSeed(cfg.seed, 'ldvae-val-noise', epoch));
  let sRec = 0, sKl = 0;
  try {
    for (let s = 0; s < cells.length; s += cfg.batchSize) {
      const view = batch.gather(X, cells, s, Math.min(cells.length, s + cfg.batchSize));
      const B = view.nRows;
      for (let i = 0; i < B * K; i++) ws.zEnc.eps[i] = noise.normal();
      for (let i = 0; i < B; i++) ws.lEnc.eps[i] = noise.normal();
      const r = step(ws, model.state, view, batch.logView, {
        train: false, klWeight: 1, bn: { eps: cfg.bnEps, momentum: cfg.bnMomentum }, varEps: cfg.varEps, dropSeed: 0, dropoutHead: false, backward: false,
      });
      sRec += r.sums.rec;
      sKl += r.sums.klZ + r.sums.klL;
    }
  } finally {
    freeBatchCsr(model.backend, batch);
  }
  const n = cells.length;
  return { elbo_validation: (sRec + sKl) / n, reconstruction_loss_validation: sRec / n, kl_local_validation: sKl / n };
}

function checkResumable(m: LdvaeModel, cfg: LdvaeConfig, genes: readonly string[], fingerprint: string, N: number, nnz: number, dir: string): void {
  if (m.genes.length !== genes.length || m.genes.some((g, i) => g !== genes[i])) {
    throw new ScmixError('GENES_MISMATCH', `${dir}: the checkpoint was trained on ${m.genes.length} other genes than the ${genes.length} of this data`, { hint: 'resume with the same corpus, or train into a new --out folder' });
  }
  if (m.trainingData && (m.trainingData.fingerprint !== fingerprint || m.trainingData.nCells !== N || m.trainingData.nnz !== nnz)) {
    throw new ScmixError('CHECKPOINT_INCOMPATIBLE', `${dir}: the checkpoint was trained on different counts (${m.trainingData.nCells} cells, nnz ${m.trainingData.nnz}; now ${N} cells, nnz ${nnz})`, { hint: 'resume with the same corpus, or train into a new --out folder' });
  }
  // keys that do not change the trained weights may differ on resume
  const free = new Set(['epochs', 'checkpointEveryNEpoch', 'checkValEveryNEpoch', 'librarySize']);
  const a = m.config as Record<string, unknown>;
  const b = cfg as Record<string, unknown>;
  const diff = Object.keys(b).filter((k) => !free.has(k) && a[k] !== b[k]);
  if (diff.length) {
    throw new ScmixError('CHECKPOINT_INCOMPATIBLE', `${dir}: cannot resume with a different config (${diff.map((k) => `${k}: ${String(a[k])} -> ${String(b[k])}`).join(', ')}); only epochs, checkpointEveryNEpoch, checkValEveryNEpoch and librarySize may change`);
  }
  if (!m.optimizer) throw new ScmixError('CHECKPOINT_INCOMPATIBLE', `${dir}: the checkpoint has no optimizer state (optimizer.safetensors), so it cannot be resumed exactly`);
}
