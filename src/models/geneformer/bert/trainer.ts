import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Backend } from '../../../engine/index.js';
import { AdamW, Tape, clipGradNorm, getBackend, linearWarmupDecay, loadTrainingState, saveTrainingState } from '../../../engine/index.js';
import { Rng, deriveSeed } from '../../../data/rng.js';
import { writeFileAtomic } from '../../../io/atomic.js';
import { ScmixError } from '../../../errors.js';
import { GeneformerConfig, type GeneformerConfigInput } from './config.js';
import { createBertParams, usesWeightDecay } from './params.js';
import { GeneformerModel } from './model.js';
import { mlmLoss } from './module.js';
import { lengthGroupedBatches, maskTokens, padBatch, sliceMaskedBatch } from './batch.js';
import { saveGeneformer } from './checkpoint.js';

/** What the trainer reads: the tokenizer's token dataset satisfies it (openTokenDataset). */
export interface TokenSource {
  readonly nCells: number;
  length(i: number): number;
  cell(i: number): Int32Array;
}

/** Reported after every optimizer step. */
export interface GeneformerStepInfo {
  step: number; // 1-based count of steps done
  totalSteps: number;
  epoch: number; // 0-based
  loss: number; // masked-LM loss of this step
  lr: number; // learning rate used by this step
  gradNorm: number; // before clipping
  tokens: number; // real (non-pad) tokens in the batch
  masked: number; // scored positions
  seconds: number; // wall time of this step
}

export interface GeneformerTrainOptions {
  /** Checkpoint folder: config.json + model.safetensors (HF) + trainer_state.{safetensors,json}. */
  outDir?: string;
  /** Continue from outDir/trainer_state.safetensors when it exists. */
  resume?: boolean;
  backend?: Backend;
  onStep?: (info: GeneformerStepInfo) => void;
  onCheckpoint?: (step: number) => void;
  /** Checked between steps: when aborted, a checkpoint is written and INTERRUPTED thrown. */
  signal?: AbortSignal;
}

export interface GeneformerTrainResult {
  model: GeneformerModel;
  /** Mean loss per logging window: { step, loss, lr }. */
  history: Array<{ step: number; loss: number; lr: number }>;
  steps: number;
  resumedFrom: number;
}

const STATE = 'trainer_state.safetensors';

/**
 * Masked-LM pretraining as the study (geneformer-spec §4): length-grouped batches, 15% masking
 * with 80/10/10, head evaluated at masked rows only, AdamW (no decay on biases and LayerNorm),
 * linear warm-up then linear decay to 0 over the total steps, clipping by global norm.
 *
 * Randomness is keyed by (seed, epoch) for the batch order and (seed, step) for masking and
 * dropout, so resuming from a checkpoint replays exactly the steps an uninterrupted run takes:
 * the final weights are identical.
 * @throws CONFIG_INVALID, NOT_ENOUGH_CELLS, INPUT_VALUE (token id or length out of range, with
 *   the cell index), CHECKPOINT_INCOMPATIBLE (resume with a different config), INTERRUPTED
 */
export async function trainGeneformer(tokens: TokenSource, cfgInput: GeneformerConfigInput | GeneformerConfig, opts: GeneformerTrainOptions = {}): Promise<GeneformerTrainResult> {
  const parsed = GeneformerConfig.safeParse(cfgInput);
  if (!parsed.success) {
    throw new ScmixError('CONFIG_INVALID', `geneformer config: ${parsed.error.issues.map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`).join('; ')}`);
  }
  const cfg = parsed.data;
  const mc = cfg.model;
  const tc = cfg.train;
  const backend = opts.backend ?? getBackend();

  // cells with tokens; lengths checked before any work
  const cells: number[] = [];
  const lengths: number[] = [];
  for (let i = 0; i < tokens.nCells; i++) {
    const L = tokens.length(i);
    if (L > mc.maxPositionEmbeddings) {
      throw new ScmixError('INPUT_VALUE', `token cell ${i} has ${L} tokens, more than maxPositionEmbeddings ${mc.maxPositionEmbeddings}`, { hint: 'tokenize with a smaller --input-size or raise model.maxPositionEmbeddings' });
    }
    if (L > 0) {
      cells.push(i);
      lengths.push(L);
    }
  }
  if (cells.length === 0) throw new ScmixError('NOT_ENOUGH_CELLS', 'the token dataset has no cell with tokens');
  const nBatches = Math.ceil(cells.length / tc.batchSize);
  const totalSteps = tc.maxSteps ?? tc.epochs * nBatches;

  const params = createBertParams(backend, mc, tc.seed);
  const decay = params.all.filter((p) => usesWeightDecay(p.name));
  const noDecay = params.all.filter((p) => !usesWeightDecay(p.name));
  const opt = new AdamW(backend, [{ params: decay, weightDecay: tc.weightDecay }, { params: noDecay, weightDecay: 0 }], { lr: tc.lr, beta1: tc.beta1, beta2: tc.beta2, eps: tc.adamEps });
  const model = new GeneformerModel(mc, backend, params);

  let history: GeneformerTrainResult['history'] = [];
  let start = 0;
  // running mean of the current logging window (saved, so a resumed run logs the same numbers)
  let winLoss = 0;
  let winN = 0;
  const fingerprint = JSON.stringify({ model: mc, seed: tc.seed, batchSize: tc.batchSize, microBatchSize: tc.microBatchSize, epochs: tc.epochs, maxSteps: tc.maxSteps, lr: tc.lr, warmupSteps: tc.warmupSteps, mlmProbability: tc.mlmProbability, neverMaskIds: tc.neverMaskIds, megaBatchMult: tc.megaBatchMult, nCells: cells.length });
  if (opts.resume && opts.outDir && existsSync(join(opts.outDir, STATE))) {
    const meta = loadTrainingState(join(opts.outDir, STATE), params.all, opt);
    if (meta.fingerprint !== fingerprint) {
      throw new ScmixError('CHECKPOINT_INCOMPATIBLE', `${join(opts.outDir, STATE)}: saved with a different config or token dataset`, { hint: 'resume with the same --config, batch size, seed and tokens, or train into a new --out' });
    }
    start = opt.step;
    history = JSON.parse(meta.history ?? '[]');
    [winLoss, winN] = JSON.parse(meta.window ?? '[0, 0]');
  }

  const save = (step: number) => {
    if (!opts.outDir) return;
    saveGeneformer(model, opts.outDir, { step: String(step) });
    // one file holds weights + moments + step, so a kill between writes cannot mix states
    saveTrainingState(join(opts.outDir, STATE), { params: params.all, optimizer: opt, metadata: { fingerprint, history: JSON.stringify(history), window: JSON.stringify([winLoss, winN]), config: JSON.stringify(cfg) } });
    writeFileAtomic(join(opts.outDir, 'trainer_state.json'), JSON.stringify({ step, totalSteps, config: cfg, history }, null, 2) + '\n');
    opts.onCheckpoint?.(step);
  };

  try {
    return await trainLoop();
  } catch (e) {
    model.dispose();
    throw e;
  } finally {
    opt.dispose();
  }

  async function trainLoop(): Promise<GeneformerTrainResult> {
    let orderEpoch = -1;
    let order: Int32Array[] = [];
    for (let step = start; step < totalSteps; step++) {
      if (opts.signal?.aborted) {
        save(step);
        throw new ScmixError('INTERRUPTED', `training interrupted after ${step} steps; checkpoint written`, { hint: opts.outDir ? 'continue with --resume' : undefined });
      }
      const t0 = performance.now();
      const epoch = Math.floor(step / nBatches);
      if (epoch !== orderEpoch) {
        order = lengthGroupedBatches(lengths, tc.batchSize, tc.megaBatchMult, new Rng(deriveSeed(tc.seed, 'order', epoch)));
        orderEpoch = epoch;
      }
      const idx = order[step % nBatches];
      const cellIds = Array.from(idx, (j) => cells[j]);
      const raw = cellIds.map((c) => tokens.cell(c));
      raw.forEach((ids, j) => {
        for (let k = 0; k < ids.length; k++) {
          if (!(ids[k] >= 0 && ids[k] < mc.vocabSize)) throw new ScmixError('INPUT_VALUE', `token cell ${cellIds[j]}: id ${ids[k]} outside the vocabulary 0..${mc.vocabSize - 1}`);
        }
      });
      const batch = padBatch(raw, mc.padTokenId);
      const mb = maskTokens(batch, new Rng(deriveSeed(tc.seed, 'mask', step)), { p: tc.mlmProbability, vocabSize: mc.vocabSize, maskTokenId: mc.maskTokenId, padTokenId: mc.padTokenId, neverMask: tc.neverMaskIds });
      const lr = linearWarmupDecay(step, { peakLr: tc.lr, warmupSteps: tc.warmupSteps, totalSteps });
      // gradient accumulation over micro-batches: each micro-batch's mean loss is weighted by its
      // share of the masked rows, so the sum is the full batch's mean loss (same gradient)
      const micro = tc.microBatchSize ?? batch.B;
      let loss = 0;
      for (let s0 = 0, chunk = 0; s0 < batch.B; s0 += micro, chunk++) {
        const part = micro >= batch.B ? mb : sliceMaskedBatch(mb, s0, Math.min(batch.B, s0 + micro));
        if (part.rows.length === 0) continue;
        const w = part.rows.length / mb.rows.length;
        const tape = new Tape(backend, { training: true, seed: deriveSeed(tc.seed, 'dropout', step, chunk) });
        try {
          const out = mlmLoss(tape, params, mc, part.batch, part.rows, part.targets);
          loss += w * out.loss.data[0];
          tape.backward(out.loss, [w]);
        } finally {
          tape.dispose();
        }
      }
      const gradNorm = clipGradNorm(backend, params.all, tc.maxGradNorm);
      opt.stepWith(lr);
      opt.zeroGrad();
      if (!Number.isFinite(loss)) throw new ScmixError('ENGINE_FAILURE', `masked-LM loss is ${loss} at step ${step + 1}`, { hint: 'lower the learning rate' });
      winLoss += loss;
      winN++;
      const done = step + 1;
      if (done % tc.logEvery === 0 || done === totalSteps) {
        history.push({ step: done, loss: winLoss / winN, lr });
        winLoss = 0;
        winN = 0;
      }
      let tokensInBatch = 0;
      for (const L of batch.lengths) tokensInBatch += L;
      opts.onStep?.({ step: done, totalSteps, epoch, loss, lr, gradNorm, tokens: tokensInBatch, masked: mb.rows.length, seconds: (performance.now() - t0) / 1000 });
      if (done % tc.saveEvery === 0 || done === totalSteps) save(done);
      // let timers and signal handlers run between steps
      await new Promise((r) => setImmediate(r));
    }
    if (start >= totalSteps) save(totalSteps);
    return { model, history, steps: totalSteps, resumedFrom: start };
  }
}
