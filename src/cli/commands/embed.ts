import type { Command } from 'commander';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { ScmixError } from '../../errors.js';
import { createBackend } from '../../engine/index.js';
import { readH5ad, writeFileAtomic, writeH5ad, type AnnData, type Column } from '../../io/index.js';
import { loadGeneformer, openTokenDataset, type TokenDataset } from '../../models/geneformer/index.js';
import {
  embedTokenDataset,
  embeddingMetrics,
  embeddingMetricsRows,
  geneformerArgmaxPredictor,
  rankPredictionEval,
  rankPredictionPerCellCsv,
  rankPredictionRankingsCsv,
  rankKdeSvg,
  rankPredictionSummaryCsv,
} from '../../eval/embedding/index.js';
import { intFlag } from '../flags.js';
import { createProgress } from '../progress.js';

interface Flags {
  model: string;
  tokens: string;
  out: string;
  layer: string;
  h5ad?: string;
  key: string;
  batchSize: string;
  threads?: string;
  backend: string;
  evalDir?: string;
  rankCells: string;
  seed: string;
  labelKey?: string;
  batchKey?: string;
  metricsCells: string;
  json?: boolean;
}

export function register(program: Command): void {
  program
    .command('embed')
    .description('Geneformer cell embeddings (mean of a hidden layer over each cell\'s tokens) into obsm of an h5ad; optional zero-shot evaluation')
    .requiredOption('--model <dir>', 'checkpoint folder (config.json + model.safetensors, HF BERT layout)')
    .requiredOption('--tokens <dir>', 'token dataset folder (from `scmix tokenize`)')
    .requiredOption('--out <file.h5ad>', 'h5ad to write')
    .option('--layer <n>', 'hidden state: -2 = second-to-last layer (the study), -1 = last, 0 = embeddings', '-2')
    .option('--h5ad <in.h5ad>', 'copy this h5ad and add the embedding to it (cells matched by tokenized row / obs name); default: a new h5ad with the token obs')
    .option('--key <name>', 'obsm key', 'X_geneformer')
    .option('--batch-size <n>', 'cells per forward pass', '16')
    .option('--threads <n>', 'compute threads (default: all cores)')
    .option('--backend <kind>', 'auto | wasm | reference', 'auto')
    .option('--eval-dir <dir>', 'also run the zero-shot evaluation and write its tables here')
    .option('--rank-cells <n>', 'cells sampled for the rank-prediction metric (all when fewer)', '500')
    .option('--seed <n>', 'seed of the rank-prediction sample', '0')
    .option('--label-key <col>', 'token obs column with cell labels for the embedding metrics (needs --eval-dir)')
    .option('--batch-key <col>', 'token obs column with batches for the batch metrics')
    .option('--metrics-cells <n>', 'embedding metrics on at most this many cells (seeded subsample, as sc_foundation_evals n_cells)', '7500')
    .option('--json', 'print the summary as one JSON line on stdout')
    .action(async (f: Flags) => {
      const layer = Number(f.layer);
      if (!Number.isInteger(layer)) throw new ScmixError('CONFIG_INVALID', `--layer must be an integer, got '${f.layer}'`);
      if (!['auto', 'wasm', 'reference'].includes(f.backend)) throw new ScmixError('CONFIG_INVALID', `--backend must be auto | wasm | reference, got '${f.backend}'`);
      const ds = openTokenDataset(f.tokens);
      try {
        for (const k of [f.labelKey, f.batchKey]) {
          if (k !== undefined && !(k in ds.obs.columns)) {
            throw new ScmixError('CONFIG_INVALID', `${f.tokens}: obs column '${k}' was not kept at tokenization`, { hint: `kept columns: ${Object.keys(ds.obs.columns).join(', ') || '(none)'}; re-run scmix tokenize --obs-columns` });
          }
        }
        const backend = await createBackend({ kind: f.backend as 'auto', threads: f.threads === undefined ? undefined : intFlag('threads', f.threads, 1) });
        const model = loadGeneformer(f.model, backend);
        try {
          model.resolveLayer(layer);
        } catch (e) {
          throw new ScmixError('CONFIG_INVALID', `--layer ${f.layer}: ${(e as Error).message}`);
        }
        const base = f.h5ad ? await readH5ad(f.h5ad) : undefined;
        const bar = createProgress({ label: 'embed', total: ds.nCells, unit: 'cells', quiet: f.json });
        const t0 = performance.now();
        const emb = embedTokenDataset(model, ds, { layer, batchSize: intFlag('batch-size', f.batchSize, 1), onProgress: (d) => bar.update(d) });
        const secs = (performance.now() - t0) / 1000;
        bar.finish();
        const H = model.config.hiddenSize;
        const adata = base ? withEmbedding(base, ds, emb, H, f.key, f.h5ad as string) : tokensAnnData(ds, emb, H, f.key);
        await writeH5ad(f.out, adata);
        const summary: Record<string, unknown> = { event: 'done', out: f.out, key: f.key, cells: ds.nCells, hidden: H, layer, seconds: secs, cellsPerSec: ds.nCells / secs };
        if (f.evalDir) {
          const rp = await rankPredictionEval(ds, geneformerArgmaxPredictor(model), { nCells: intFlag('rank-cells', f.rankCells, 1), seed: intFlag('seed', f.seed, 0), keepRankings: true });
          writeFileAtomic(join(f.evalDir, 'rank_prediction_summary.csv'), rankPredictionSummaryCsv(rp));
          writeFileAtomic(join(f.evalDir, 'rank_prediction_percell.csv'), rankPredictionPerCellCsv(rp));
          // gzip level 6 with a fixed header: same input, same bytes
          writeFileAtomic(join(f.evalDir, 'rankings.csv.gz'), gzipSync(rankPredictionRankingsCsv(rp), { level: 6 }));
          // upstream visualize(n_cells=100): KDE panels of 100 sampled cells
          writeFileAtomic(join(f.evalDir, 'input_and_outputs_kde.svg'), rankKdeSvg(rp.rankings ?? [], { nCells: 100, seed: intFlag('seed', f.seed, 0) }));
          writeFileAtomic(join(f.evalDir, 'rank_prediction_summary.json'), JSON.stringify({ nSampled: rp.nSampled, seed: rp.seed, ...rp.summary }, null, 2) + '\n');
          summary.rankPrediction = { nSampled: rp.nSampled, correlation: rp.summary.correlation.mean, meanCorrelation: rp.summary.meanCorrelation.mean };
          if (f.labelKey) {
            const m = await embeddingMetrics({ data: emb, shape: [ds.nCells, H] }, ds.obs.columns[f.labelKey], f.batchKey ? ds.obs.columns[f.batchKey] : undefined, {
              maxCells: intFlag('metrics-cells', f.metricsCells, 3),
              seed: intFlag('seed', f.seed, 0),
            });
            const rows = embeddingMetricsRows(m, f.labelKey);
            writeFileAtomic(join(f.evalDir, 'embedding_metrics.csv'), 'metric,label,value\n' + rows.map((r) => `${r.metric},${r.label},${r.value}`).join('\n') + '\n');
            writeFileAtomic(join(f.evalDir, 'embedding_metrics.json'), JSON.stringify(m, null, 2) + '\n');
            summary.embeddingMetrics = m;
          }
        }
        if (f.json) process.stdout.write(JSON.stringify(summary) + '\n');
        else process.stderr.write(`obsm['${f.key}'] [${ds.nCells}, ${H}] written to ${f.out}${f.evalDir ? `; evaluation tables in ${f.evalDir}` : ''}\n`);
      } finally {
        ds.close();
      }
    });
}

/** A new AnnData holding only the token dataset's obs and the embedding (X: cells x 0 genes). */
function tokensAnnData(ds: TokenDataset, emb: Float32Array, H: number, key: string): AnnData {
  const n = ds.nCells;
  return {
    X: { nRows: n, nCols: 0, indptr: new Int32Array(n + 1), indices: new Int32Array(0), data: new Float32Array(0) },
    obs: { index: ds.obs.index.slice(), columns: new Map(Object.entries(ds.obs.columns).map(([k, v]) => [k, toColumn(v)])) },
    var: { index: [], columns: new Map() },
    layers: new Map(),
    obsm: new Map([[key, { shape: [n, H] as const, data: emb }]]),
    varm: new Map(),
    uns: {},
  };
}

/**
 * Add the embedding to a copy of `base`. Rows: the tokenized input row when `base` has the same
 * cells at those rows (same obs names), else matched by obs name; untokenized cells get NaN.
 */
function withEmbedding(base: AnnData, ds: TokenDataset, emb: Float32Array, H: number, key: string, path: string): AnnData {
  const n = base.obs.index.length;
  const sameRows = ds.obs.sourceRows.every((r, i) => r < n && base.obs.index[r] === ds.obs.index[i]);
  let rowOf: (i: number) => number;
  if (sameRows) rowOf = (i) => ds.obs.sourceRows[i];
  else {
    const byName = new Map<string, number>();
    base.obs.index.forEach((name, r) => byName.set(name, byName.has(name) ? -1 : r));
    rowOf = (i) => {
      const r = byName.get(ds.obs.index[i]);
      if (r === undefined) throw new ScmixError('SHAPE_MISMATCH', `${path}: cell '${ds.obs.index[i]}' of the token dataset is not in its obs`);
      if (r < 0) throw new ScmixError('SHAPE_MISMATCH', `${path}: obs name '${ds.obs.index[i]}' is duplicated; cannot place its embedding`);
      return r;
    };
  }
  const out = new Float32Array(n * H).fill(NaN);
  for (let i = 0; i < ds.nCells; i++) out.set(emb.subarray(i * H, (i + 1) * H), rowOf(i) * H);
  const obsm = new Map(base.obsm);
  obsm.set(key, { shape: [n, H] as const, data: out });
  return { ...base, obsm };
}

function toColumn(values: (string | number | boolean | null)[]): Column {
  if (values.every((v) => typeof v === 'number' || v === null)) return { kind: 'number', values: Float64Array.from(values, (v) => (v === null ? NaN : (v as number))), dtype: 'float64' };
  if (values.every((v) => typeof v === 'boolean')) return { kind: 'boolean', values: Uint8Array.from(values, (v) => (v ? 1 : 0)) };
  const cats = [...new Set(values.filter((v) => v !== null).map(String))].sort();
  const code = new Map(cats.map((c, i) => [c, i]));
  return { kind: 'categorical', codes: Int32Array.from(values, (v) => (v === null ? -1 : (code.get(String(v)) as number))), categories: cats, ordered: false };
}
