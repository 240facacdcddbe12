import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { fileSha256, loadingOverlap, readPerCell, summarizeGrid, type FactorTopGenes, type GridSummary } from '../eval/index.js';
import { ScmixError } from '../errors.js';
import { writeFileAtomic } from '../io/index.js';
import { SCMIX_VERSION } from '../version.js';
import { distributionsSvg, type DistributionPanel } from './figures/distributions.js';
import { elboCurvesSvg, type ElboSeries } from './figures/elboCurves.js';
import { heatmapSvg } from './figures/heatmap.js';
import { scatterSvg } from './figures/scatterPlot.js';
import { geneformerParts, splitGeneformer } from './geneformerSection.js';
import { csv } from './html.js';
import { latentUmaps, type LatentUmap } from './latentUmaps.js';
import { readElboHistory, readJson } from './readRunFiles.js';
import { renderPng } from './renderPng.js';
import { reportHtml, type ReportParts } from './reportHtml.js';

export interface WriteReportResult {
  html: string;
  figures: string[];
  tables: string[];
  nCells: number;
  nExpected: number | null;
}

/**
 * Write <runDir>/report/: report.html (self-contained: inline SVG + CSS, no scripts, no network),
 * figures/<id>.svg + .png, tables/*.csv + *.json. Reads only the run directory (eval outputs,
 * checkpoint histories, manifests) and works on partial grids: missing cells are drawn as
 * "pending" and the page says how many of the expected results are in. Deterministic: the same
 * run directory gives the same bytes.
 * @throws INPUT_MISSING when runDir does not exist
 */
export async function writeReport(runDir: string, opts: { baseline?: string; png?: boolean; onProgress?: (done: number, total: number, what: string) => void } = {}): Promise<WriteReportResult> {
  if (!existsSync(runDir)) throw new ScmixError('INPUT_MISSING', `${runDir}: run directory not found`);
  const out = join(runDir, 'report');
  const figDir = join(out, 'figures');
  const tabDir = join(out, 'tables');
  mkdirSync(figDir, { recursive: true });
  mkdirSync(tabDir, { recursive: true });
  const gridAll = summarizeGrid(runDir, { baseline: opts.baseline });
  // Geneformer cells have no reconstruction numbers: they get their own section.
  const { grid, gf } = splitGeneformer(gridAll);
  const resolved = readJson<{ config?: Record<string, unknown> } & Record<string, unknown>>(join(runDir, 'study.resolved.json'));
  const cfg = (resolved?.config ?? resolved) as Record<string, unknown> | undefined;
  const nExpected = expectedCells(cfg);
  const figures: { id: string; svg: string; caption: string; section: string }[] = [];
  const tables: string[] = [];
  const writeTable = (name: string, content: string) => {
    writeFileAtomic(join(tabDir, name), content);
    tables.push(name);
  };
  const s0 = grid.seeds[0] ?? 0;

  for (const model of grid.modelKinds) {
    figures.push({ id: `heatmap_${model}_seed${s0}`, section: 'heatmap', svg: heatmapSvg(grid, model, s0), caption: `Median per-cell reconstruction R² for every eval set (rows) and training corpus (columns), ${model}, seed ${s0}. Colour: log2 fold change of the median against the baseline corpus <b>${grid.baseline ?? ''}</b> (green = better, blue = worse, grey dashed = not computed yet; the scale adapts to the largest change, see its labels). As in the study's Supp. Fig. 1A.` });
    const panels: DistributionPanel[] = grid.evalSets.map((ev) => ({
      evalSet: ev,
      series: grid.corpora.flatMap((corpus) => {
        const c = grid.cells.find((x) => x.model === model && x.seed === s0 && x.evalSet === ev && x.corpus === corpus);
        if (!c || !existsSync(join(c.dir, 'percell.csv'))) return [];
        return [{ corpus, values: readPerCell(join(c.dir, 'percell.csv')).r2.filter((v) => Number.isFinite(v)) }];
      }),
    }));
    figures.push({ id: `r2_distributions_${model}_seed${s0}`, section: 'distributions', svg: distributionsSvg(panels, grid.corpora, `Per-cell reconstruction R² by eval set and training corpus (${model}, seed ${s0})`), caption: 'Each box: the per-cell r² of one model on one eval set (box = quartiles, black bar = median, whiskers = 5th-95th percentile, white dot = mean). Cells with a constant profile over the HVGs (NaN) are left out and counted in the tables.' });

    // seed agreement (Supp Fig 1B): baseline corpus, lowest seed vs the next
    if (grid.seeds.length > 1 && grid.baseline) {
      const s1 = grid.seeds[1]!;
      const sp = grid.evalSets.flatMap((ev) => {
        const a = grid.cells.find((x) => x.model === model && x.seed === s0 && x.evalSet === ev && x.corpus === grid.baseline);
        const b = grid.cells.find((x) => x.model === model && x.seed === s1 && x.evalSet === ev && x.corpus === grid.baseline);
        if (!a || !b) return [];
        const pa = readPerCell(join(a.dir, 'percell.csv'));
        const pb = readPerCell(join(b.dir, 'percell.csv'));
        const pos = new Map(pb.cells.map((c, i) => [c, i]));
        const x: number[] = [];
        const y: number[] = [];
        pa.cells.forEach((c, i) => {
          const j = pos.get(c);
          if (j !== undefined) {
            x.push(pa.r2[i]!);
            y.push(pb.r2[j]!);
          }
        });
        const ag = grid.seedAgreement.find((g) => g.model === model && g.corpus === grid.baseline && g.evalSet === ev && g.seedB === s1);
        return [{ title: ev, x, y, note: ag ? `Pearson ${ag.pearson.toFixed(3)}, n ${ag.n}` : undefined }];
      });
      if (sp.length) figures.push({ id: `seed_scatter_${model}_${grid.baseline}`, section: 'seeds', svg: scatterSvg(sp, { title: `Per-cell reconstruction R², seed ${s0} vs seed ${s1} (${model}, ${grid.baseline})`, xLabel: `R² (seed ${s0})`, yLabel: `R² (seed ${s1})`, identity: true, limits: [0, 1], radius: 1.5 }), caption: `Each point is one cell of the eval set; the line is the identity. Points on the line mean the per-cell result does not depend on the training seed (the study's Supp. Fig. 1B).` });
    }

    // ELBO curves
    const elbo: ElboSeries[] = grid.corpora.flatMap((corpus) => {
      const h = readElboHistory(join(runDir, 'models', model, corpus, `seed${s0}`), corpus);
      return h ? [h] : [];
    });
    if (elbo.length) figures.push({ id: `elbo_${model}_seed${s0}`, section: 'training', svg: elboCurvesSvg(elbo, `Training curves (${model}, seed ${s0})`), caption: 'ELBO (negative evidence lower bound per cell, lower is better) per epoch for every training corpus, from the checkpoint history. The KL warm-up makes early epochs noisy; a spike around epoch 1 is expected for LDVAE.' });

    // latent UMAPs
    const cachePath = join(tabDir, `umap_${model}_seed${s0}.json`);
    const cache = new Map<string, LatentUmap>((readJson<LatentUmap[]>(cachePath) ?? []).map((u) => [u.corpus, u]));
    const umaps = await latentUmaps(grid, model, s0, cache);
    if (umaps.length) {
      writeTable(`umap_${model}_seed${s0}.json`, JSON.stringify(umaps));
      const pick = umaps.slice(0, 10);
      figures.push({ id: `umap_source_${model}_seed${s0}`, section: 'latent', svg: scatterSvg(pick.map((u) => ({ title: u.corpus, x: u.x, y: u.y, groups: u.evalSet })), { title: `Latent space of each model, cells coloured by eval set (${model}, seed ${s0})`, xLabel: 'UMAP 1', yLabel: 'UMAP 2', hideAxes: true, perRow: 5, size: 190, radius: 1.6, categories: grid.evalSets }), caption: 'UMAP of the posterior-mean latent (10 factors) of up to 300 cells per eval set, one panel per training corpus. Well separated colours: the model gives each source its own region; overlapping colours: the eval sets collapse onto what the model knows.' });
      const types = [...new Set(pick.flatMap((u) => u.cellType))].sort();
      figures.push({ id: `umap_celltype_${model}_seed${s0}`, section: 'latent', svg: scatterSvg(pick.map((u) => ({ title: u.corpus, x: u.x, y: u.y, groups: u.cellType })), { title: `Latent space of each model, cells coloured by cell type (${model}, seed ${s0})`, xLabel: 'UMAP 1', yLabel: 'UMAP 2', hideAxes: true, perRow: 5, size: 190, radius: 1.6, categories: types }), caption: 'Same embedding, coloured by the eval sets\' cell_type labels.' });
    }

    // example cell: baseline corpus, each eval set
    const ex = grid.evalSets.flatMap((ev) => {
      const c = grid.cells.find((x) => x.model === model && x.seed === s0 && x.evalSet === ev && x.corpus === grid.baseline);
      const e = c && readJson<{ cell: string; cellType: string; r: number; observed: number[]; reconstructed: number[] }>(join(c.dir, 'example_cell.json'));
      return e ? [{ title: `${ev}: ${e.cell} (${e.cellType})`.slice(0, 40), x: e.observed, y: e.reconstructed, note: `r² = ${(e.r * e.r).toFixed(3)}` }] : [];
    });
    if (ex.length) figures.push({ id: `example_cells_${model}_${grid.baseline}`, section: 'example', svg: scatterSvg(ex, { title: `Observed vs reconstructed expression of one typical cell per eval set (${model}, ${grid.baseline}, seed ${s0})`, xLabel: 'observed log1p(CP10k)', yLabel: 'reconstructed log1p(CP10k)', identity: true, radius: 1.7 }), caption: 'One point per HVG of the eval set. The cell shown is the one (of 32 seeded candidates) whose r² is closest to the median of its eval set, so the panel shows a typical cell, not the best one.' });
  }

  // tables
  const head = ['model', 'corpus', 'seed', 'eval_set', 'eval_group', 'corpus_group', 'n_cells', 'n_hvg', 'median_r2', 'mean_r2', 'q25_r2', 'q75_r2', 'median_r', 'n_nan', 'log2fc_median_r2_vs_baseline', 'knn_accuracy'];
  const rows = grid.cells.map((c) => [c.model, c.corpus, c.seed, c.evalSet, grid.evalSetGroups[c.evalSet], grid.corpusGroups[c.corpus], c.nCells, c.nHvg, c.median_r2, c.mean_r2, c.q25_r2, c.q75_r2, c.median_r, c.nNan, c.log2fc_median_r2, c.knn?.accuracy ?? null]);
  writeTable('grid.csv', csv(head, rows));
  writeTable('grid.json', JSON.stringify({ ...grid, cells: grid.cells.map(({ dir: _dir, ...c }) => c) }, null, 1) + '\n');
  writeTable('per_cell_type.csv', csv(['model', 'corpus', 'seed', 'eval_set', 'cell_type', 'n', 'n_nan', 'median_r2', 'mean_r2'], grid.cells.flatMap((c) => Object.entries(c.perCellType).map(([t, v]) => [c.model, c.corpus, c.seed, c.evalSet, t, v.n, v.nNan ?? null, v.median_r2, v.mean_r2]))));
  writeTable('seed_agreement.csv', csv(['model', 'corpus', 'eval_set', 'seed_a', 'seed_b', 'n', 'pearson', 'spearman', 'mean_abs_diff', 'median_a', 'median_b'], grid.seedAgreement.map((g) => [g.model, g.corpus, g.evalSet, g.seedA, g.seedB, g.n, g.pearson, g.spearman, g.meanAbsDiff, g.medianA, g.medianB])));
  const overlap = loadingOverlaps(grid, s0);
  writeTable('loading_overlap.csv', csv(['model', 'corpus_a', 'corpus_b', 'mean_best_factor_jaccard', 'union_jaccard'], overlap.map((o) => [o.model, o.a, o.b, o.meanBest, o.union])));
  const gfParts = geneformerParts(grid, gf, gridAll.cells);
  figures.push(...gfParts.figures);
  for (const [name, content] of Object.entries(gfParts.tables)) writeTable(name, content);
  const provenance = collectProvenance(runDir, grid);
  provenance.entries.push(...gfParts.provenance);
  writeTable('provenance.json', JSON.stringify(provenance, null, 1) + '\n');

  for (const fg of figures) {
    writeFileAtomic(join(figDir, `${fg.id}.svg`), fg.svg);
    if (opts.png !== false) writeFileAtomic(join(figDir, `${fg.id}.png`), renderPng(fg.svg));
    opts.onProgress?.(figures.indexOf(fg) + 1, figures.length, 'figures');
  }
  const parts: ReportParts = { runDir, grid, figures, overlap, provenance, nExpected, nResults: gridAll.cells.length, geneformerHtml: gfParts.html, studyName: typeof cfg?.name === 'string' ? cfg.name : undefined };
  const html = reportHtml(parts);
  writeFileAtomic(join(out, 'report.html'), html);
  return { html: join(out, 'report.html'), figures: figures.map((f) => f.id), tables, nCells: gridAll.cells.length, nExpected };
}

/** corpora x eval sets x seeds x models of the study config, when it is known. */
function expectedCells(cfg: Record<string, unknown> | undefined): number | null {
  if (!cfg) return null;
  const n = (v: unknown) => (Array.isArray(v) ? v.length : v && typeof v === 'object' ? Object.keys(v).length : 0);
  const models = n(cfg.models) || 1;
  const e = n(cfg.corpora) * n(cfg.evaluations) * (n(cfg.seeds) || 1) * models;
  return e > 0 ? e : null;
}

function loadingOverlaps(grid: GridSummary, seed: number): { model: string; a: string; b: string; meanBest: number; union: number }[] {
  const out: { model: string; a: string; b: string; meanBest: number; union: number }[] = [];
  for (const model of grid.modelKinds) {
    const tops = new Map<string, FactorTopGenes[]>();
    for (const corpus of grid.corpora) {
      const c = grid.cells.find((x) => x.model === model && x.seed === seed && x.corpus === corpus && existsSync(join(x.dir, 'factors.json')));
      const t = c && readJson<FactorTopGenes[]>(join(c.dir, 'factors.json'));
      if (t) tops.set(corpus, t);
    }
    for (const a of tops.keys()) for (const b of tops.keys()) if (a !== b) out.push({ model, a, b, ...loadingOverlap(tops.get(a)!, tops.get(b)!) });
  }
  return out;
}

export interface ProvenanceEntry {
  model: string;
  corpus: string;
  seed: number;
  evalSet: string;
  modelDir?: string;
  modelSha256?: Record<string, string>;
  modelConfig?: unknown;
  corpusManifest?: string;
  corpusManifestSha256?: string;
  corpusManifestSummary?: unknown;
  evalFile?: string;
  evalSha256?: string;
  evalSetManifest?: string;
  scmixVersion: string;
}

function collectProvenance(runDir: string, grid: GridSummary): { scmixVersion: string; reportedBy: string; entries: ProvenanceEntry[] } {
  const entries = grid.cells.map((c) => {
    const p = c.provenance ?? { scmixVersion: 'unknown' };
    const man = p.corpusManifest && existsSync(p.corpusManifest) ? p.corpusManifest : undefined;
    const mj = man ? readJson<Record<string, unknown>>(man) : undefined;
    const modelJson = p.modelDir ? readJson<Record<string, unknown>>(join(p.modelDir, 'model.json')) : undefined;
    const evm = join(runDir, 'evalsets', `${c.evalSet}.manifest.json`);
    return {
      model: c.model,
      corpus: c.corpus,
      seed: c.seed,
      evalSet: c.evalSet,
      modelDir: p.modelDir,
      modelSha256: p.modelSha256,
      modelConfig: modelJson?.config,
      corpusManifest: p.corpusManifest,
      corpusManifestSha256: man ? fileSha256(man) : undefined,
      corpusManifestSummary: mj ? Object.fromEntries(Object.entries(mj).filter(([k]) => ['components', 'nCells', 'n_cells', 'cells', 'nGenes', 'seed', 'sources'].includes(k))) : undefined,
      evalFile: p.evalFile,
      evalSha256: p.evalSha256,
      evalSetManifest: existsSync(evm) ? evm : undefined,
      scmixVersion: p.scmixVersion,
    };
  });
  return { scmixVersion: SCMIX_VERSION, reportedBy: 'scmix report', entries };
}
