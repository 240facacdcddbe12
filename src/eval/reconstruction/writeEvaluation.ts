import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { deriveSeed, Rng } from '../../data/rng.js';
import { writeFileAtomic } from '../../io/index.js';
import { SCMIX_VERSION } from '../../version.js';
import { evaluateReconstruction, type ReconstructionOptions, type ReconstructionProgress, type ReconstructionResult } from './evaluateReconstruction.js';
import type { EvalSource } from './evalSource.js';
import { dirSha256, fileSha256 } from './fileSha256.js';
import { knnLabelTransfer, type KnnTransferResult } from './knnLabelTransfer.js';
import type { ReconstructionModel } from './reconstructionModel.js';
import { toMatrix } from './reconstructionModel.js';
import { topLoadingGenes } from './topLoadings.js';

/** Identity of one grid cell, as the run directory names it (docs/ARCHITECTURE.md). */
export interface EvalMeta {
  /** model kind, e.g. 'ldvae' */
  model: string;
  corpus: string;
  seed: number;
  evalSet: string;
  /** checkpoint folder (hashed for provenance) */
  modelDir?: string;
  /** corpus manifest path, recorded as is */
  corpusManifest?: string;
}

/** summary.json of a reconstruction eval: the contract keys plus the extras the report uses. */
export interface EvalSummaryJson {
  model: string;
  corpus: string;
  seed: number;
  evalSet: string;
  nCells: number;
  nHvg: number;
  median_r2: number | null;
  mean_r2: number | null;
  q25_r2: number | null;
  q75_r2: number | null;
  median_r: number | null;
  nNan: number;
  perCellType: Record<string, { n: number; median_r2: number | null; mean_r2: number | null; q25_r2?: number | null; q75_r2?: number | null; nNan?: number }>;
  nGenesModel?: number;
  nGenesPresent?: number;
  knn?: { k: number; n: number; accuracy: number | null; perLabel: Record<string, { n: number; accuracy: number }> } | null;
  warnings: string[];
  options: ReconstructionOptions | Record<string, unknown>;
  provenance: {
    scmixVersion: string;
    evalFile?: string;
    evalSha256?: string;
    modelDir?: string;
    modelSha256?: Record<string, string>;
    corpusManifest?: string;
  };
}

const num = (v: number): number | null => (Number.isFinite(v) ? v : null);
const csvNum = (v: number): string => (Number.isNaN(v) ? 'NaN' : String(v));
const csvStr = (s: string): string => (/[",\n\r]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s);

/**
 * One grid cell of the study: evaluate `model` on `evalSet` and write, atomically, into `outDir`:
 * percell.csv (cell,cell_type,r,r2), summary.json, genes.csv (per-gene residuals), hvg_genes.txt,
 * latent_sample.json (<= 600 seeded cells, for UMAPs), example_cell.json (the kept example cell
 * whose r2 is closest to the median) and factors.json (top-loading genes) when the model has
 * loadings. Returns the summary that was written.
 * @throws GENES_MISMATCH, NOT_ENOUGH_CELLS, INPUT_VALUE (see evaluateReconstruction)
 */
export async function runReconstructionEval(args: {
  model: ReconstructionModel;
  evalSet: EvalSource;
  outDir: string;
  meta: EvalMeta;
  options?: Partial<ReconstructionOptions>;
  onProgress?: (p: ReconstructionProgress) => void;
  knnK?: number;
}): Promise<EvalSummaryJson> {
  const { model, evalSet, outDir, meta } = args;
  const res = await evaluateReconstruction(model, evalSet, args.options ?? {}, args.onProgress);
  let knn: KnnTransferResult | null = null;
  if (res.latent && evalSet.hasCellType && new Set(evalSet.cellTypes).size > 1) {
    knn = await knnLabelTransfer(res.latent.data, res.latent.k, evalSet.cellTypes, { k: args.knnK ?? 15 });
  }
  mkdirSync(outDir, { recursive: true });
  writeFileAtomic(join(outDir, 'percell.csv'), perCellCsv(res));
  if (res.residuals) writeFileAtomic(join(outDir, 'genes.csv'), genesCsv(res));
  writeFileAtomic(join(outDir, 'hvg_genes.txt'), res.hvgGenes.join('\n') + '\n');
  if (res.latent) writeFileAtomic(join(outDir, 'latent_sample.json'), JSON.stringify(latentSample(res, meta.seed)));
  const ex = exampleNearMedian(res);
  if (ex) writeFileAtomic(join(outDir, 'example_cell.json'), JSON.stringify({ ...ex, genes: res.hvgGenes, observed: Array.from(ex.observed), reconstructed: Array.from(ex.reconstructed) }));
  if (model.loadings) {
    const L = toMatrix(await model.loadings(), model.genes.length);
    writeFileAtomic(join(outDir, 'factors.json'), JSON.stringify(topLoadingGenes(L.data, model.genes, 20)));
  }
  const s = res.summary;
  const summary: EvalSummaryJson = {
    model: meta.model,
    corpus: meta.corpus,
    seed: meta.seed,
    evalSet: meta.evalSet,
    nCells: s.nCells,
    nHvg: s.nHvg,
    median_r2: num(s.r2.median),
    mean_r2: num(s.r2.mean),
    q25_r2: num(s.r2.q25),
    q75_r2: num(s.r2.q75),
    median_r: num(s.r.median),
    nNan: s.r2.nNan,
    perCellType: Object.fromEntries(
      Object.entries(s.perCellType).map(([t, v]) => [t, { n: v.n, nNan: v.nNan, median_r2: num(v.median_r2), mean_r2: num(v.mean_r2), q25_r2: num(v.q25_r2), q75_r2: num(v.q75_r2) }]),
    ),
    nGenesModel: s.nGenesModel,
    nGenesPresent: s.nGenesPresent,
    knn: knn ? { ...knn, accuracy: num(knn.accuracy) } : null,
    warnings: s.warnings,
    options: { ...(args.options ?? {}) },
    provenance: {
      scmixVersion: SCMIX_VERSION,
      evalFile: evalSet.path,
      evalSha256: evalSet.path && existsSync(evalSet.path) ? fileSha256(evalSet.path) : undefined,
      modelDir: meta.modelDir,
      modelSha256: meta.modelDir ? dirSha256(meta.modelDir) : undefined,
      corpusManifest: meta.corpusManifest,
    },
  };
  writeFileAtomic(join(outDir, 'summary.json'), JSON.stringify(summary, null, 1) + '\n');
  return summary;
}

export function perCellCsv(res: ReconstructionResult): string {
  const { cells, cellTypes, r, r2 } = res.perCell;
  const lines = ['cell,cell_type,r,r2'];
  for (let i = 0; i < r.length; i++) lines.push(`${csvStr(cells[i]!)},${csvStr(cellTypes[i]!)},${csvNum(r[i]!)},${csvNum(r2[i]!)}`);
  return lines.join('\n') + '\n';
}

function genesCsv(res: ReconstructionResult): string {
  const g = res.residuals!;
  const hv = new Set(res.hvgGenes);
  const lines = ['gene,is_hvg,mean_observed,mean_reconstructed,residual_mean,residual_var,proportional_residual_mean,explained_variance'];
  for (let i = 0; i < g.genes.length; i++) {
    lines.push(
      [csvStr(g.genes[i]!), hv.has(g.genes[i]!) ? 1 : 0, g.meanObserved[i]!, g.meanReconstructed[i]!, g.residualMean[i]!, g.residualVar[i]!, g.proportionalResidualMean[i]!, g.explainedVariance[i]!]
        .map((v) => (typeof v === 'number' ? csvNum(v) : v))
        .join(','),
    );
  }
  return lines.join('\n') + '\n';
}

function latentSample(res: ReconstructionResult, seed: number, max = 600): { cells: string[]; cellTypes: string[]; r2: (number | null)[]; k: number; latent: number[][] } {
  const n = res.perCell.r.length;
  const k = res.latent!.k;
  let rows = Array.from({ length: n }, (_, i) => i);
  if (n > max) {
    const rng = new Rng(deriveSeed(seed, 'latent-sample'));
    for (let i = 0; i < max; i++) {
      const j = i + rng.int(n - i);
      [rows[i], rows[j]] = [rows[j]!, rows[i]!];
    }
    rows = rows.slice(0, max).sort((a, b) => a - b);
  }
  return {
    cells: rows.map((i) => res.perCell.cells[i]!),
    cellTypes: rows.map((i) => res.perCell.cellTypes[i]!),
    r2: rows.map((i) => num(res.perCell.r2[i]!)),
    k,
    latent: rows.map((i) => Array.from(res.latent!.data.subarray(i * k, (i + 1) * k), (v) => Math.fround(v))),
  };
}

function exampleNearMedian(res: ReconstructionResult): ReconstructionResult['examples'][number] | undefined {
  const med = res.summary.r2.median;
  let best: ReconstructionResult['examples'][number] | undefined;
  for (const e of res.examples) {
    if (!Number.isFinite(e.r)) continue;
    if (!best || Math.abs(e.r * e.r - med) < Math.abs(best.r * best.r - med)) best = e;
  }
  return best;
}
