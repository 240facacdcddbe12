/**
 * The report's Geneformer part: rank-prediction heatmaps (median per-cell Spearman-like
 * correlation of predicted vs input gene ranks, per eval set x training corpus) and the embedding
 * metrics of both model families (Geneformer mean embeddings, LDVAE latents) in one table.
 * Reads the summary.json files of the run directory only; deterministic.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { fileSha256, type GridSummary } from '../eval/index.js';
import { heatmapSvg } from './figures/heatmap.js';
import { csv, figure, table } from './html.js';
import { readJson } from './readRunFiles.js';
import { esc } from './svg.js';
import type { ProvenanceEntry } from './writeReport.js';

/** summary.json of a geneformer eval cell (see src/study/geneformerStages.ts). */
export interface GeneformerCell {
  model: string;
  corpus: string;
  seed: number;
  evalSet: string;
  nCells: number;
  nTokenized: number;
  rankPrediction: { nSampled: number; median_correlation: number | null; mean_correlation: number | null; median_mean_rank_correlation: number | null; mean_mean_rank_correlation: number | null } | null;
  embedding: EmbeddingCell | null;
  warnings?: string[];
  provenance?: { scmixVersion?: string; evalFile?: string; modelDir?: string; corpusManifest?: string };
  dir: string;
}

export interface EmbeddingCell {
  nCells: number;
  nmi: number | null;
  ari: number | null;
  asw_label: number | null;
  asw_batch: number | null;
  asw_label_batch: number | null;
  graph_connectivity: number | null;
  avg_bio: number | null;
  source: string;
}

/** Split a grid into its geneformer cells and the rest (the reconstruction grid). */
export function splitGeneformer(grid: GridSummary): { grid: GridSummary; gf: GeneformerCell[] } {
  const isGf = (c: unknown) => (c as { modelKind?: string }).modelKind === 'geneformer';
  const gf = grid.cells.filter(isGf) as unknown as GeneformerCell[];
  const gfModels = new Set(gf.map((c) => c.model));
  const cells = grid.cells.filter((c) => !isGf(c));
  return {
    grid: { ...grid, cells, modelKinds: [...new Set(cells.map((c) => c.model))].sort(), seedAgreement: grid.seedAgreement.filter((a) => !gfModels.has(a.model)) },
    gf,
  };
}

export interface GeneformerParts {
  figures: { id: string; svg: string; caption: string; section: string }[];
  /** tables/<name> -> content */
  tables: Record<string, string>;
  html: string;
  provenance: ProvenanceEntry[];
}

const num = (v: number | null | undefined) => (typeof v === 'number' && Number.isFinite(v) ? v : null);

/** Figures, tables, HTML and provenance of the Geneformer section (empty html when no results). */
export function geneformerParts(grid: GridSummary, gf: GeneformerCell[], all: GridSummary['cells']): GeneformerParts {
  const out: GeneformerParts = { figures: [], tables: {}, html: '', provenance: [] };
  const emb = all.filter((c) => (c as unknown as { embedding?: EmbeddingCell | null }).embedding) as unknown as (GeneformerCell & { embedding: EmbeddingCell })[];
  const embHead = ['model', 'corpus', 'seed', 'eval_set', 'n_cells', 'nmi', 'ari', 'asw_label', 'asw_batch', 'asw_label_batch', 'graph_connectivity', 'avg_bio', 'embedding'];
  const embRows = emb.map((c) => [c.model, c.corpus, c.seed, c.evalSet, c.embedding.nCells, num(c.embedding.nmi), num(c.embedding.ari), num(c.embedding.asw_label), num(c.embedding.asw_batch), num(c.embedding.asw_label_batch), num(c.embedding.graph_connectivity), num(c.embedding.avg_bio), c.embedding.source]);
  if (gf.length === 0 && emb.length === 0) return out;
  const s0 = grid.seeds[0] ?? 0;
  const models = [...new Set(gf.map((c) => c.model))].sort();
  for (const model of models) {
    const cells = gf.filter((c) => c.model === model && c.seed === s0 && c.rankPrediction);
    if (!cells.length) continue;
    const at = (ev: string, corpus: string) => cells.find((c) => c.evalSet === ev && c.corpus === corpus)?.rankPrediction?.median_correlation ?? null;
    const diffs: number[] = [];
    const pseudo = cells.map((c) => {
      const v = num(c.rankPrediction!.median_correlation);
      const b = grid.baseline ? num(at(c.evalSet, grid.baseline)) : null;
      const d = v !== null && b !== null ? v - b : null;
      if (d !== null) diffs.push(Math.abs(d));
      return { model, corpus: c.corpus, seed: c.seed, evalSet: c.evalSet, nCells: c.nCells, median_r2: v, log2fc_median_r2: d } as unknown as GridSummary['cells'][number];
    });
    const lim = Math.min(1, Math.max(0.1, Math.ceil(Math.max(0, ...diffs) * 10) / 10));
    const svg = heatmapSvg({ ...grid, cells: pseudo }, model, s0, {
      title: `Rank prediction: median per-cell correlation (${model}, seed ${s0})`,
      subtitle: `number: median corr(predicted, input ranks) over cells; colour: Δ vs ${grid.baseline ?? 'baseline'}`,
      valueName: 'median correlation',
      colourName: 'Δ correlation',
      limit: lim,
    });
    out.figures.push({
      id: `heatmap_rank_${model}_seed${s0}`,
      section: 'geneformer',
      svg,
      caption: `Zero-shot rank prediction of the Geneformer model <b>${esc(model)}</b> trained on each corpus (columns), on each eval set (rows): every sampled cell's token sequence goes through the masked-LM head unmasked, and the Pearson correlation of predicted vs input rank positions is taken per cell (sc_foundation_evals); the number is the median over cells. Colour: difference to the baseline corpus <b>${esc(grid.baseline ?? '')}</b> (green = better).`,
    });
  }
  const rpHead = ['model', 'corpus', 'seed', 'eval_set', 'n_cells', 'n_tokenized', 'n_sampled', 'median_correlation', 'mean_correlation', 'median_mean_rank_correlation', 'mean_mean_rank_correlation'];
  const rpRows = gf.map((c) => [c.model, c.corpus, c.seed, c.evalSet, c.nCells, c.nTokenized, c.rankPrediction?.nSampled ?? null, num(c.rankPrediction?.median_correlation), num(c.rankPrediction?.mean_correlation), num(c.rankPrediction?.median_mean_rank_correlation), num(c.rankPrediction?.mean_mean_rank_correlation)]);
  if (gf.length) out.tables['geneformer_rank_prediction.csv'] = csv(rpHead, rpRows);
  if (emb.length) out.tables['embedding_metrics.csv'] = csv(embHead, embRows);

  const seen = new Set<string>();
  for (const c of gf) {
    const md = c.provenance?.modelDir;
    const key = `${c.model}/${c.corpus}/${c.seed}/${c.evalSet}`;
    if (seen.has(key)) continue;
    seen.add(key);
    const sha: Record<string, string> = {};
    if (md) for (const f of ['model.safetensors', 'config.json']) if (existsSync(join(md, f))) sha[f] = fileSha256(join(md, f));
    const meta = md ? readJson<{ config?: { model?: Record<string, unknown>; train?: Record<string, unknown> } }>(join(md, 'scmix_model.json')) : undefined;
    const evalFile = c.provenance?.evalFile;
    out.provenance.push({
      model: c.model,
      corpus: c.corpus,
      seed: c.seed,
      evalSet: c.evalSet,
      modelDir: md,
      modelSha256: sha,
      modelConfig: meta?.config ? { ...meta.config.model, ...meta.config.train } : undefined,
      corpusManifest: c.provenance?.corpusManifest,
      corpusManifestSha256: c.provenance?.corpusManifest && existsSync(c.provenance.corpusManifest) ? fileSha256(c.provenance.corpusManifest) : undefined,
      evalFile,
      evalSha256: evalFile && existsSync(evalFile) ? fileSha256(evalFile) : undefined,
      scmixVersion: c.provenance?.scmixVersion ?? 'unknown',
    });
  }

  const figs = out.figures.map((f) => figure(f.id, f.svg, f.caption)).join('\n');
  const embTable = table(
    ['model', 'corpus', 'seed', 'eval set', 'cells', 'NMI', 'ARI', 'ASW label', 'ASW batch', 'graph conn.', 'avg bio'],
    embRows.map((r) => [...r.slice(0, 9), r[10], r[11]] as (string | number | null)[]),
    { leftCols: 4 },
  );
  out.html = `<h2 id="s-geneformer">Geneformer: rank prediction and embeddings</h2>
${figs || '<p>No rank-prediction results yet.</p>'}
${gf.length ? `<h3>Rank prediction (median and mean per-cell correlation; mean-rank baseline = the same correlation for a prediction that gives every gene its mean rank score over the sampled cells)</h3>${table(['model', 'corpus', 'seed', 'eval set', 'cells', 'sampled', 'median corr.', 'mean corr.', 'median corr. (mean-rank baseline)'], rpRows.map((r) => [r[0], r[1], r[2], r[3], r[4], r[6], r[7], r[8], r[9]]), { leftCols: 4 })}` : ''}
<h3>Embedding metrics, both model families</h3>
<p class="small">Geneformer: mean of the second-to-last hidden layer over each cell's tokens; LDVAE: the posterior-mean latent of the eval's latent sample (at most 600 seeded cells). Labels: the eval set's <code>cell_type</code>; batch: its <code>batch</code> (or <code>dataset</code>) column, so the batch scores are blank for single-batch eval sets. Louvain (multilevel) clustering of the kNN graph at resolutions 0.1-2.0, the best NMI kept; ARI of that clustering; ASW rescaled to 0-1; avg bio = mean(NMI, ARI, ASW label). All values: <code>tables/embedding_metrics.csv</code>${gf.length ? ', rank prediction: <code>tables/geneformer_rank_prediction.csv</code>' : ''}.</p>
${emb.length ? embTable : '<p>No embedding metrics (add <code>embedding</code> to an evaluation\'s metrics).</p>'}
`;
  return out;
}
