import type { Command } from 'commander';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ScmixError } from '../../errors.js';
import { createBackend } from '../../engine/index.js';
import { openTokenDataset } from '../../models/geneformer/index.js';
import { GENEFORMER_PRESETS, GeneformerConfig, trainGeneformer, type GeneformerConfigInput } from '../../models/geneformer/index.js';
import { intFlag } from '../flags.js';
import { createProgress, type Progress } from '../progress.js';

interface Flags {
  tokens: string;
  out: string;
  config: string;
  epochs?: string;
  maxSteps?: string;
  batchSize?: string;
  microBatchSize?: string;
  lr?: string;
  warmupSteps?: string;
  saveEvery?: string;
  logEvery?: string;
  seed?: string;
  threads?: string;
  backend: string;
  resume?: boolean;
  overwrite?: boolean;
  json?: boolean;
}

function numFlag(name: string, v: string | undefined): number | undefined {
  if (v === undefined) return undefined;
  const n = Number(v);
  if (!(n > 0) || !Number.isFinite(n)) throw new ScmixError('CONFIG_INVALID', `--${name} must be a positive number, got '${v}'`);
  return n;
}

/** `--config`: a preset name (tiny | study) or a JSON file holding { model?, train? }. */
function readConfig(arg: string): GeneformerConfigInput {
  if (arg === 'tiny' || arg === 'study') return structuredClone(GENEFORMER_PRESETS[arg]);
  if (!existsSync(arg)) throw new ScmixError('INPUT_MISSING', `--config ${arg}: not a preset (tiny | study) and no such file`);
  try {
    return JSON.parse(readFileSync(arg, 'utf8')) as GeneformerConfigInput;
  } catch (e) {
    throw new ScmixError('INPUT_FORMAT', `--config ${arg}: not valid JSON (${(e as Error).message})`);
  }
}

export function register(train: Command): void {
  train
    .command('geneformer')
    .description('pretrain a Geneformer BERT (masked LM) on a token dataset; writes a Hugging Face checkpoint')
    .requiredOption('--tokens <dir>', 'token dataset folder (from `scmix tokenize`)')
    .requiredOption('--out <dir>', 'checkpoint folder: config.json, model.safetensors, trainer_state.*')
    .option('--config <preset|file>', 'tiny | study | a JSON file { model: {...}, train: {...} }', 'study')
    .option('--epochs <n>', 'passes over the tokens')
    .option('--max-steps <n>', 'stop after this many optimizer steps')
    .option('--batch-size <n>', 'cells per step')
    .option('--micro-batch-size <n>', 'cells per forward/backward (gradient accumulation when memory is short)')
    .option('--lr <x>', 'peak learning rate')
    .option('--warmup-steps <n>', 'linear warm-up steps')
    .option('--save-every <n>', 'checkpoint every N steps')
    .option('--log-every <n>', 'logging step every N steps')
    .option('--seed <n>', 'seed (init, order, masking, dropout)')
    .option('--threads <n>', 'compute threads (default: all cores)')
    .option('--backend <kind>', 'auto | wasm | reference', 'auto')
    .option('--resume', 'continue from --out/trainer_state.safetensors')
    .option('--overwrite', 'start afresh even if --out holds a checkpoint')
    .option('--json', 'one JSON object per logging step on stdout')
    .action(async (f: Flags) => {
      const cfgIn = readConfig(f.config);
      if (!f.resume && !f.overwrite && existsSync(join(f.out, 'trainer_state.safetensors'))) {
        throw new ScmixError('CONFIG_INVALID', `${f.out} already holds a training checkpoint`, { hint: 'pass --resume to continue it, --overwrite to start afresh, or choose a new --out' });
      }
      const ds = openTokenDataset(f.tokens);
      try {
        const model = { ...(cfgIn.model ?? {}) };
        // the vocabulary comes from the token dataset's dictionary unless the config fixes it
        model.vocabSize ??= ds.vocabSize;
        if (model.vocabSize < ds.vocabSize) {
          throw new ScmixError('CONFIG_INVALID', `config vocabSize ${model.vocabSize} is smaller than the token dataset's vocabulary (${ds.vocabSize})`);
        }
        const trainCfg = { ...(cfgIn.train ?? {}) };
        const set = <K extends keyof typeof trainCfg>(k: K, v: (typeof trainCfg)[K] | undefined) => { if (v !== undefined) trainCfg[k] = v; };
        set('epochs', intFlag('epochs', f.epochs, 1));
        set('maxSteps', intFlag('max-steps', f.maxSteps, 1));
        set('batchSize', intFlag('batch-size', f.batchSize, 1));
        set('microBatchSize', intFlag('micro-batch-size', f.microBatchSize, 1));
        set('lr', numFlag('lr', f.lr));
        set('warmupSteps', intFlag('warmup-steps', f.warmupSteps, 0));
        set('saveEvery', intFlag('save-every', f.saveEvery, 1));
        set('logEvery', intFlag('log-every', f.logEvery, 1));
        set('seed', intFlag('seed', f.seed, 0));
        // V2 datasets carry <cls>=2 / <eos>=3 (SPECIAL_TOKENS order): never mask them, as HF's collator
        if (ds.specialTokens && trainCfg.neverMaskIds === undefined) trainCfg.neverMaskIds = [2, 3];
        const parsed = GeneformerConfig.safeParse({ model, train: trainCfg });
        if (!parsed.success) {
          throw new ScmixError('CONFIG_INVALID', `--config ${f.config}: ${parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`);
        }
        const cfg = parsed.data;
        if (!['auto', 'wasm', 'reference'].includes(f.backend)) throw new ScmixError('CONFIG_INVALID', `--backend must be auto | wasm | reference, got '${f.backend}'`);
        const backend = await createBackend({ kind: f.backend as 'auto', threads: intFlag('threads', f.threads, 1) });

        const ctrl = new AbortController();
        const onSig = () => ctrl.abort();
        process.once('SIGINT', onSig);
        let bar: Progress | undefined;
        let tokensDone = 0;
        let win = { loss: 0, n: 0, tokens: 0, t0: performance.now() };
        const tStart = performance.now();
        try {
          const res = await trainGeneformer(ds, cfg, {
            backend,
            outDir: f.out,
            resume: f.resume,
            signal: ctrl.signal,
            onStep: (s) => {
              tokensDone += s.tokens;
              win.loss += s.loss;
              win.n++;
              win.tokens += s.tokens;
              const tokPerSec = win.tokens / Math.max(1e-9, (performance.now() - win.t0) / 1000);
              if (!f.json) {
                bar ??= createProgress({ label: 'train geneformer', total: s.totalSteps, unit: 'steps' });
                bar.update(s.step, { loss: s.loss, 'tok/s': tokPerSec, lr: s.lr });
              }
              if (s.step % cfg.train.logEvery === 0 || s.step === s.totalSteps) {
                if (f.json) {
                  process.stdout.write(JSON.stringify({
                    event: 'log', step: s.step, totalSteps: s.totalSteps, epoch: s.epoch, loss: win.loss / win.n, lr: s.lr,
                    gradNorm: s.gradNorm, tokensPerSec: Math.round(tokPerSec), tokens: tokensDone, elapsedS: (performance.now() - tStart) / 1000,
                  }) + '\n');
                }
                win = { loss: 0, n: 0, tokens: 0, t0: performance.now() };
              }
            },
          });
          const last = res.history[res.history.length - 1];
          const summary = { event: 'done', out: f.out, steps: res.steps, resumedFrom: res.resumedFrom, loss: last?.loss ?? null, backend: backend.name, threads: backend.threads, parameters: res.model.nParameters };
          if (f.json) process.stdout.write(JSON.stringify(summary) + '\n');
          else bar?.finish({ loss: last?.loss ?? NaN });
          if (!f.json) process.stderr.write(`checkpoint written to ${f.out} (${res.model.nParameters} parameters, backend ${backend.name})\n`);
        } finally {
          process.removeListener('SIGINT', onSig);
        }
      } finally {
        ds.close();
      }
    });
}
