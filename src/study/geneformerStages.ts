/**
 * Geneformer inside `scmix run`: the train stage (tokenize the built corpus, pretrain a BERT from
 * scratch, HF checkpoint + the dictionaries used) and the eval stage (tokenize each evaluation set
 * with the model's dictionaries; rank prediction and embedding metrics), plus the embedding
 * metrics of LDVAE latents so both model families share one table. Rooms load lazily (rooms.ts).
 */
import { existsSync, mkdirSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { ScmixError } from '../errors.js';
import { writeFileAtomic } from '../io/atomic.js';
import type { EmbeddingCell } from '../report/index.js';
import { SCMIX_VERSION } from '../version.js';
import type { ParsedStudy } from './parseStudy.js';
import { evalRoom, geneformerRoom, ioRoom } from './rooms.js';
import type { StageArgs } from './runStudy.js';
import type { ModelSpec } from './schema.js';

type Backend = import('../engine/index.js').Backend;
type GfRoom = typeof import('../models/geneformer/index.js');

/** Evaluation options of a geneformer model (`set: { eval: {...} }`). */
export interface GeneformerEvalOptions {
  /** hidden state averaged into the cell embedding (-2: second-to-last layer, the study) */
  layer: number;
  /** embedding metrics on at most this many cells (seeded subsample) */
  metricsCells: number;
  /** cells per forward pass */
  batchSize: number;
}

/** A geneformer model spec resolved: BERT config input, tokenizer options and eval options. */
export interface GeneformerStudyConfig {
  model: Record<string, unknown>;
  train: Record<string, unknown>;
  tokenize: Record<string, unknown>;
  eval: GeneformerEvalOptions;
}

const EVAL_DEFAULTS: GeneformerEvalOptions = { layer: -2, metricsCells: 7500, batchSize: 16 };

/**
 * Resolve a geneformer model spec: `config` is a preset (`tiny`, `study`; default `study`) or a
 * JSON file `{ model?, train?, tokenize?, eval? }` relative to the study; `set` overrides with the
 * same sections (merged per key) or with flat keys of the model / train configs (e.g. `maxSteps`).
 * The grid cell's seed is the training seed.
 * @throws CONFIG_INVALID for an unknown key; INPUT_MISSING for a missing config file
 */
export function geneformerStudyConfig(gf: GfRoom, study: ParsedStudy, spec: ModelSpec, seed: number, where: string): GeneformerStudyConfig {
  const name = spec.config ?? 'study';
  let base: Record<string, unknown>;
  if (name === 'tiny' || name === 'study') base = structuredClone(gf.GENEFORMER_PRESETS[name]) as Record<string, unknown>;
  else {
    const p = study.resolvePath(name);
    if (!existsSync(p)) throw new ScmixError('INPUT_MISSING', `${where}.config: "${name}" is not a geneformer preset (tiny | study) and ${p} does not exist`);
    try {
      base = JSON.parse(readFileSync(p, 'utf8')) as Record<string, unknown>;
    } catch (e) {
      throw new ScmixError('INPUT_FORMAT', `${p}: not valid JSON (${(e as Error).message})`);
    }
  }
  const out: GeneformerStudyConfig = { model: {}, train: {}, tokenize: {}, eval: { ...EVAL_DEFAULTS } };
  const sections = ['model', 'train', 'tokenize', 'eval'] as const;
  const modelKeys = new Set(Object.keys(gf.BertModelConfig.parse({})));
  const trainKeys = new Set(Object.keys(gf.GeneformerTrainConfig.shape));
  const apply = (src: Record<string, unknown>, what: string) => {
    for (const [k, v] of Object.entries(src)) {
      if ((sections as readonly string[]).includes(k)) {
        if (v === null || typeof v !== 'object' || Array.isArray(v)) throw new ScmixError('CONFIG_INVALID', `${what}.${k} must be a mapping`);
        Object.assign(out[k as (typeof sections)[number]], v);
      } else if (modelKeys.has(k)) out.model[k] = v;
      else if (trainKeys.has(k)) out.train[k] = v;
      else
        throw new ScmixError('CONFIG_INVALID', `${what}: unknown geneformer key "${k}"`, {
          hint: 'use model / train / tokenize / eval sections, or a key of BertModelConfig or GeneformerTrainConfig (see docs/notes/bert.md)',
        });
    }
  };
  apply(base, `${where}.config`);
  apply(spec.set as Record<string, unknown>, `${where}.set`);
  out.train.seed = seed;
  for (const k of Object.keys(out.eval)) if (!(k in EVAL_DEFAULTS)) throw new ScmixError('CONFIG_INVALID', `${where}: unknown eval key "${k}"; keys: ${Object.keys(EVAL_DEFAULTS).join(', ')}`);
  const e = out.eval;
  if (!Number.isInteger(e.layer) || !Number.isInteger(e.metricsCells) || e.metricsCells < 3 || !Number.isInteger(e.batchSize) || e.batchSize < 1)
    throw new ScmixError('CONFIG_INVALID', `${where}: eval needs integer layer, metricsCells >= 3 and batchSize >= 1`);
  return out;
}

/** Tokenizer options: the model's input length caps the encoding (tiny: 128 tokens). */
function tokenizeOptions(cfg: GeneformerStudyConfig, maxPositions: number, obsColumns: string[]): Record<string, unknown> {
  const variant = (cfg.tokenize.variant as string | undefined) ?? 'v1';
  const dflt = variant === 'v2' ? 4096 : 2048;
  return { ...cfg.tokenize, inputSize: Math.min((cfg.tokenize.inputSize as number | undefined) ?? dflt, maxPositions), obsColumns };
}

/** The train stage of a geneformer model: writes models/<model>/<corpus>/seed<k>/. */
export async function trainGeneformerStage(study: ParsedStudy, a: StageArgs & { modelSpec: ModelSpec }, backend: Backend): Promise<void> {
  const { stage, runDir, modelSpec, onProgress } = a;
  const gf = await geneformerRoom();
  const where = `models.${stage.model}`;
  const cfg = geneformerStudyConfig(gf, study, modelSpec, stage.seed!, where);
  const corpusPath = join(runDir, 'corpora', stage.corpus!, `seed${stage.seed}`, 'corpus.h5ad');
  // A checkpoint left by a killed run of this same stage (same key) is resumed; anything else is cleared.
  const keyFile = join(stage.dir, '.train-key');
  const resume = existsSync(join(stage.dir, 'trainer_state.safetensors')) && existsSync(keyFile) && readFileSync(keyFile, 'utf8') === stage.key;
  if (!resume) {
    rmSync(stage.dir, { recursive: true, force: true });
    mkdirSync(stage.dir, { recursive: true });
    writeFileAtomic(keyFile, stage.key);
  }
  // Tokens are scratch (rebuilt deterministically on resume, removed at the end).
  const tokDir = join(stage.dir, 'tokens');
  rmSync(tokDir, { recursive: true, force: true });
  const modelIn = { ...cfg.model };
  const maxPos = (modelIn.maxPositionEmbeddings as number | undefined) ?? 2048;
  const tcfg = tokenizeOptions(cfg, maxPos, []);
  let dicts: import('../models/geneformer/index.js').GeneformerDictionaries;
  let dictSource: string;
  if (modelSpec.dictionaries !== undefined) {
    dictSource = study.resolvePath(modelSpec.dictionaries);
    dicts = gf.loadGeneformerDictionaries(dictSource);
    await gf.tokenizeH5ad(corpusPath, tokDir, { dictionaries: dicts, config: tcfg, onProgress: (p) => onProgress(p.done, p.total, `cells (${p.phase})`) });
  } else {
    dictSource = 'computed from the corpus';
    await gf.tokenizeH5ad(corpusPath, tokDir, { dictionaries: 'compute', config: tcfg, onProgress: (p) => onProgress(p.done, p.total, `cells (${p.phase})`) });
    dicts = gf.loadGeneformerDictionaries(join(tokDir, 'dictionaries'));
  }
  gf.writeDictionaries(join(stage.dir, 'dictionaries'), dicts);
  const ds = gf.openTokenDataset(tokDir);
  let res: Awaited<ReturnType<GfRoom['trainGeneformer']>>;
  try {
    modelIn.vocabSize ??= ds.vocabSize;
    if ((modelIn.vocabSize as number) < ds.vocabSize) throw new ScmixError('CONFIG_INVALID', `${where}: vocabSize ${String(modelIn.vocabSize)} is smaller than the dictionary's (${ds.vocabSize})`);
    const trainIn = { ...cfg.train };
    if (ds.specialTokens && trainIn.neverMaskIds === undefined) trainIn.neverMaskIds = [2, 3];
    const parsed = gf.GeneformerConfig.safeParse({ model: modelIn, train: trainIn });
    if (!parsed.success) throw new ScmixError('CONFIG_INVALID', `${where}: ${parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`);
    res = await gf.trainGeneformer(ds, parsed.data, {
      backend,
      outDir: stage.dir,
      resume,
      onStep: (s) => onProgress(s.step, s.totalSteps, 'steps', { loss: s.loss }),
    });
    writeFileAtomic(
      join(stage.dir, 'scmix_model.json'),
      JSON.stringify(
        {
          scmixVersion: SCMIX_VERSION,
          modelKind: 'geneformer',
          model: stage.model,
          corpus: stage.corpus,
          seed: stage.seed,
          corpusPath,
          corpusManifest: join(runDir, 'corpora', stage.corpus!, `seed${stage.seed}`, 'manifest.json'),
          dictionaries: { source: dictSource, vocabSize: dicts.vocabSize, folder: 'dictionaries' },
          tokenize: tcfg,
          tokens: { cells: ds.nCells, tokens: ds.nTokens },
          config: parsed.data,
          eval: cfg.eval,
          steps: res.steps,
          resumedFrom: res.resumedFrom,
          history: res.history,
        },
        null,
        2,
      ) + '\n',
    );
  } finally {
    ds.close();
  }
  rmSync(tokDir, { recursive: true, force: true });
}

/** summary.json of a geneformer x evaluation-set cell (nulls where not computed or not finite). */
export interface GeneformerSummaryJson {
  model: string;
  modelKind: 'geneformer';
  corpus: string;
  seed: number;
  evalSet: string;
  nCells: number;
  nTokenized: number;
  metrics: string[];
  rankPrediction: {
    nSampled: number;
    median_correlation: number | null;
    mean_correlation: number | null;
    median_mean_rank_correlation: number | null;
    mean_mean_rank_correlation: number | null;
  } | null;
  embedding: EmbeddingSummary | null;
  warnings: string[];
  options: Record<string, unknown>;
  provenance: { scmixVersion: string; evalFile: string; modelDir: string; corpusManifest: string };
}

/**
 * Embedding metric values as summary.json holds them (both model families): the fields the report
 * reads back (its EmbeddingCell; the report may not import the study room) and the label and batch counts.
 */
export interface EmbeddingSummary extends EmbeddingCell {
  nLabels: number;
  nBatches: number;
}

const fin = (v: number | null | undefined): number | null => (typeof v === 'number' && Number.isFinite(v) ? v : null);

function embeddingSummary(m: import('../eval/index.js').EmbeddingMetrics, source: string): EmbeddingSummary {
  return {
    nCells: m.nCells,
    nLabels: m.nLabels,
    nBatches: m.nBatches,
    nmi: fin(m.nmi),
    ari: fin(m.ari),
    asw_label: fin(m.aswLabel),
    asw_batch: fin(m.aswBatch),
    asw_label_batch: fin(m.aswLabelBatch),
    graph_connectivity: fin(m.graphConnectivity),
    avg_bio: fin(m.avgBio),
    source,
  };
}

function writeEmbeddingTables(ev: typeof import('../eval/index.js'), outDir: string, m: import('../eval/index.js').EmbeddingMetrics): void {
  const rows = ev.embeddingMetricsRows(m, 'cell_type');
  writeFileAtomic(join(outDir, 'embedding_metrics.csv'), 'metric,label,value\n' + rows.map((r) => `${r.metric},${r.label},${r.value}`).join('\n') + '\n');
  writeFileAtomic(join(outDir, 'embedding_metrics.json'), JSON.stringify(m, null, 2) + '\n');
}

/** The batch column of an evaluation set's obs: `batch` when present, else `dataset`. */
function batchColumn(columns: Record<string, unknown>): string | undefined {
  return ['batch', 'dataset'].find((c) => c in columns);
}

/** The eval stage of a geneformer model: evals/<model>/<corpus>/seed<k>/<evalset>/. */
export async function evaluateGeneformerStage(study: ParsedStudy, a: StageArgs & { modelSpec: ModelSpec }, backend: Backend): Promise<void> {
  const { stage, runDir, onProgress } = a;
  const gf = await geneformerRoom();
  const ev = await evalRoom();
  const io = await ioRoom();
  const modelDir = join(runDir, 'models', stage.model!, stage.corpus!, `seed${stage.seed}`);
  const meta = JSON.parse(readFileSync(join(modelDir, 'scmix_model.json'), 'utf8')) as { tokenize: Record<string, unknown>; eval: GeneformerEvalOptions };
  const dicts = gf.loadGeneformerDictionaries(join(modelDir, 'dictionaries'));
  const model = gf.loadGeneformer(modelDir, backend);
  const names = Object.keys(study.config.evaluations);
  for (let i = 0; i < names.length; i++) {
    const name = names[i];
    const spec = study.config.evaluations[name];
    const outDir = join(stage.dir, name);
    rmSync(outDir, { recursive: true, force: true });
    mkdirSync(outDir, { recursive: true });
    const path = join(runDir, 'evalsets', `${name}.h5ad`);
    const reader = await io.openH5ad(path);
    const cols = ['cell_type', ...['batch', 'dataset'].filter((c) => reader.obs.columns.has(c))];
    const nCells = reader.shape[0];
    reader.close();
    const tokDir = join(outDir, 'tokens');
    await gf.tokenizeH5ad(path, tokDir, { dictionaries: dicts, config: { ...meta.tokenize, obsColumns: cols } });
    const ds = gf.openTokenDataset(tokDir);
    const summary: GeneformerSummaryJson = {
      model: stage.model!,
      modelKind: 'geneformer',
      corpus: stage.corpus!,
      seed: stage.seed!,
      evalSet: name,
      nCells,
      nTokenized: ds.nCells,
      metrics: spec.metrics.filter((m) => m !== 'reconstruction'),
      rankPrediction: null,
      embedding: null,
      warnings: [],
      options: { rankCells: spec.rankCells ?? 500, ...meta.eval, seed: stage.seed! },
      provenance: { scmixVersion: SCMIX_VERSION, evalFile: path, modelDir, corpusManifest: join(runDir, 'corpora', stage.corpus!, `seed${stage.seed}`, 'manifest.json') },
    };
    try {
      if (spec.metrics.includes('rank-prediction')) {
        const rp = await ev.rankPredictionEval(ds, ev.geneformerArgmaxPredictor(model), { nCells: spec.rankCells ?? 500, seed: stage.seed!, batchSize: meta.eval.batchSize, keepRankings: true });
        writeFileAtomic(join(outDir, 'rank_prediction_summary.csv'), ev.rankPredictionSummaryCsv(rp));
        writeFileAtomic(join(outDir, 'rank_prediction_percell.csv'), ev.rankPredictionPerCellCsv(rp));
        writeFileAtomic(join(outDir, 'rankings.csv.gz'), gzipSync(ev.rankPredictionRankingsCsv(rp), { level: 6 }));
        writeFileAtomic(join(outDir, 'input_and_outputs_kde.svg'), ev.rankKdeSvg(rp.rankings ?? [], { nCells: 100, seed: stage.seed! }));
        writeFileAtomic(join(outDir, 'rank_prediction_summary.json'), JSON.stringify({ nSampled: rp.nSampled, seed: rp.seed, ...rp.summary }, null, 2) + '\n');
        const c = rp.summary.correlation;
        const m = rp.summary.meanCorrelation;
        summary.rankPrediction = {
          nSampled: rp.nSampled,
          median_correlation: fin(c.q50),
          mean_correlation: fin(c.mean),
          median_mean_rank_correlation: fin(m.q50),
          mean_mean_rank_correlation: fin(m.mean),
        };
      }
      if (spec.metrics.includes('embedding')) {
        const emb = ev.embedTokenDataset(model, ds, { layer: meta.eval.layer, batchSize: meta.eval.batchSize });
        const bcol = batchColumn(ds.obs.columns);
        const m = await orSkip(
          ev.embeddingMetrics({ data: emb, shape: [ds.nCells, model.config.hiddenSize] }, ds.obs.columns.cell_type, bcol ? ds.obs.columns[bcol] : undefined, {
            maxCells: meta.eval.metricsCells,
            seed: stage.seed!,
          }),
          summary.warnings,
        );
        if (m) {
          writeEmbeddingTables(ev, outDir, m);
          summary.embedding = embeddingSummary(m, `geneformer hidden state ${meta.eval.layer}, mean over tokens`);
        }
      }
    } finally {
      ds.close();
    }
    rmSync(tokDir, { recursive: true, force: true });
    writeFileAtomic(join(outDir, 'summary.json'), JSON.stringify(summary, null, 2) + '\n');
    onProgress(i + 1, names.length, 'eval sets');
  }
}

/**
 * Embedding metrics of an LDVAE's posterior-mean latents on the evaluation's latent sample
 * (latent_sample.json: at most 600 seeded cells), added to its summary.json under `embedding`.
 */
export async function ldvaeEmbeddingMetrics(outDir: string, seed: number, batches?: readonly string[]): Promise<void> {
  const ev = await evalRoom();
  const samplePath = join(outDir, 'latent_sample.json');
  const summaryPath = join(outDir, 'summary.json');
  if (!existsSync(samplePath)) return;
  const s = JSON.parse(readFileSync(samplePath, 'utf8')) as { cellTypes: string[]; k: number; latent: number[][] };
  const n = s.latent.length;
  const data = new Float64Array(n * s.k);
  s.latent.forEach((row, i) => data.set(row, i * s.k));
  const summary = JSON.parse(readFileSync(summaryPath, 'utf8')) as Record<string, unknown> & { warnings?: string[] };
  summary.warnings ??= [];
  const m = await orSkip(ev.embeddingMetrics({ data, shape: [n, s.k] }, s.cellTypes, batches, { seed }), summary.warnings);
  summary.embedding = m ? embeddingSummary(m, `LDVAE posterior-mean latent, latent_sample.json (${n} cells)`) : null;
  if (m) writeEmbeddingTables(ev, outDir, m);
  writeFileAtomic(summaryPath, JSON.stringify(summary, null, 2) + '\n');
}

/** Embedding metrics, or null with a warning when the set has too few cells or cell types. */
async function orSkip<T>(p: Promise<T>, warnings: string[]): Promise<T | null> {
  try {
    return await p;
  } catch (e) {
    if (e instanceof ScmixError && e.code === 'NOT_ENOUGH_CELLS') {
      warnings.push(`embedding metrics skipped: ${e.message}`);
      return null;
    }
    throw e;
  }
}
