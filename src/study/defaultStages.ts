/**
 * The real stage implementations: the builder writes corpora and evaluation sets through the io
 * room; train / evaluate / report call the LDVAE, eval and report rooms. Each room is loaded on
 * first use, so a build without one of them fails with "stage unavailable: ..." naming it.
 */
import { existsSync, mkdirSync, readFileSync, rmSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ScmixError } from '../errors.js';
import { writeFileAtomic } from '../io/atomic.js';
import { buildCorpus, buildEvalSet } from './buildCorpus.js';
import type { ParsedStudy } from './parseStudy.js';
import { evalRoom, ioRoom, ldvaeRoom, reportRoom } from './rooms.js';
import type { StageArgs, StageImpls } from './runStudy.js';
import type { ModelSpec } from './schema.js';
import { evaluateGeneformerStage, ldvaeEmbeddingMetrics, trainGeneformerStage } from './geneformerStages.js';

/** configs/ shipped with the package (a model preset may be named `ldvae.tiny` or a path). */
const PACKAGE_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');

/** The text of a model's preset file: a path relative to the study, or configs/<name>.json. */
export function modelConfigPath(study: ParsedStudy, spec: ModelSpec): string | null {
  if (!spec.config) return null;
  // geneformer presets live in code (GENEFORMER_PRESETS; the scmix version in the keys covers them)
  if (spec.kind === 'geneformer' && (spec.config === 'tiny' || spec.config === 'study')) return null;
  const direct = study.resolvePath(spec.config);
  if (existsSync(direct)) return direct;
  const shipped = join(PACKAGE_ROOT, 'configs', spec.config.endsWith('.json') ? spec.config : `${spec.config}.json`);
  if (existsSync(shipped)) return shipped;
  throw new ScmixError('INPUT_MISSING', `model config not found: ${spec.config} (looked at ${direct} and ${shipped})`);
}

/** Resolved model config: preset file, then `set` overrides, then the seed of the grid cell. */
export function modelConfig(study: ParsedStudy, spec: ModelSpec, seed: number): Record<string, unknown> {
  const p = modelConfigPath(study, spec);
  const base = p ? (JSON.parse(readFileSync(p, 'utf8')) as Record<string, unknown>) : {};
  return { ...base, ...spec.set, seed };
}

export function defaultStages(study: ParsedStudy): StageImpls {
  return {
    async build({ plan, stage, onProgress }: StageArgs) {
      const io = await ioRoom();
      const { adata, manifest } = buildCorpus(plan, stage.corpus!, stage.seed!, (d, t) => onProgress(d, t, 'cells'));
      await io.writeH5ad(join(stage.dir, 'corpus.h5ad'), adata);
      writeFileAtomic(join(stage.dir, 'manifest.json'), JSON.stringify(manifest, null, 2) + '\n');
    },
    async evalset({ plan, stage }: StageArgs) {
      const io = await ioRoom();
      const { adata, manifest } = buildEvalSet(plan, stage.evalSet!);
      await io.writeH5ad(join(stage.dir, `${stage.evalSet}.h5ad`), adata);
      writeFileAtomic(join(stage.dir, `${stage.evalSet}.manifest.json`), JSON.stringify(manifest, null, 2) + '\n');
    },
    async train(a) {
      const { stage, runDir, modelSpec, onProgress, threads } = a;
      if (modelSpec.kind === 'geneformer') return trainGeneformerStage(study, a, await sharedBackend(threads));
      const io = await ioRoom();
      const ldvae = await ldvaeRoom();
      const corpusPath = join(runDir, 'corpora', stage.corpus!, `seed${stage.seed}`, 'corpus.h5ad');
      const adata = await io.readH5ad(corpusPath);
      const cfg = ldvae.parseLdvaeConfig(modelConfig(study, modelSpec, stage.seed!), `models.${stage.model}`);
      const backend = await sharedBackend(threads);
      // A checkpoint left by a killed run of this same stage (same key) is resumed; anything
      // else in the folder (an older config's model) is cleared first.
      const keyFile = join(stage.dir, '.train-key');
      const resume = existsSync(join(stage.dir, 'model.json')) && existsSync(keyFile) && readFileSync(keyFile, 'utf8') === stage.key;
      if (!resume) {
        rmSync(stage.dir, { recursive: true, force: true });
        mkdirSync(stage.dir, { recursive: true });
        writeFileAtomic(keyFile, stage.key);
      }
      const model = await ldvae.trainLdvae(adata, cfg, {
        source: corpusPath,
        outDir: stage.dir,
        resume,
        backend,
        onEpoch: (row) => onProgress(row.epoch + 1, cfg.epochs, 'epochs', { elbo: row.elbo_train }),
      });
      ldvae.saveLdvae(model, stage.dir);
    },
    async evaluate(a) {
      const { stage, runDir, onProgress, modelSpec, threads } = a;
      if (modelSpec.kind === 'geneformer') return evaluateGeneformerStage(study, a, await sharedBackend(threads));
      const io = await ioRoom();
      const ldvae = await ldvaeRoom();
      const ev = await evalRoom();
      const modelDir = join(runDir, 'models', stage.model!, stage.corpus!, `seed${stage.seed}`);
      const model = ldvae.loadLdvae(modelDir);
      const names = Object.keys(study.config.evaluations);
      // LDVAE: reconstruction always (its summary.json is the cell's record); `embedding` adds the
      // latent's embedding metrics; `rank-prediction` is a Geneformer metric and does not apply.
      for (let i = 0; i < names.length; i++) {
        const name = names[i];
        const path = join(runDir, 'evalsets', `${name}.h5ad`);
        const adata = await io.readH5ad(path);
        await ev.runReconstructionEval({
          model: model as unknown as Parameters<typeof ev.runReconstructionEval>[0]['model'],
          evalSet: ev.evalSourceFromAnnData(adata, name, { path, cellTypeKey: 'cell_type' }),
          outDir: join(stage.dir, name),
          meta: { model: stage.model!, corpus: stage.corpus!, seed: stage.seed!, evalSet: name, modelDir, corpusManifest: join(runDir, 'corpora', stage.corpus!, `seed${stage.seed}`, 'manifest.json') },
          options: { seed: stage.seed! },
        });
        if (study.config.evaluations[name].metrics.includes('embedding')) await ldvaeEmbeddingMetrics(join(stage.dir, name), stage.seed!);
        onProgress(i + 1, names.length, 'eval sets');
      }
    },
    async report({ runDir }) {
      const report = await reportRoom();
      await (report as unknown as { writeReport(dir: string): Promise<unknown> }).writeReport(runDir);
    },
  };
}

/**
 * One compute backend per process ('auto': WASM SIMD when it loads), shared by every train stage.
 * Threads default to 1: with the multi-threaded worker pool, 2 of 3 demo runs (2026-11-24) hung
 * mid-training with every thread asleep; pass --threads to opt in until that is fixed.
 */
let backendPromise: Promise<import('../engine/index.js').Backend> | undefined;
function sharedBackend(threads = 1) {
  backendPromise ??= import('../engine/index.js').then((engine) => engine.createBackend({ kind: 'auto', threads }));
  return backendPromise;
}
