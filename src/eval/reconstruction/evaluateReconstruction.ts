import { z } from 'zod';
import { deriveSeed, Rng } from '../../data/rng.js';
import { ScmixError } from '../../errors.js';
import { alignCsr, alignGenes, logCp10k } from './alignGenes.js';
import type { EvalSource } from './evalSource.js';
import { accumulateHvgMoments, createHvgMoments, selectHvgSeurat } from './hvgSeurat.js';
import { accumulateResiduals, createResidualAccumulator, perGeneResiduals, type GeneResiduals } from './geneResiduals.js';
import { pearson } from './pearson.js';
import { toMatrix, type ReconstructionModel } from './reconstructionModel.js';
import { summarizeByGroup, summarizeValues, type ValueSummary } from './summarizeValues.js';

export const ReconstructionOptions = z
  .object({
    nTopGenes: z.number().int().positive().default(1000).describe('HVGs chosen on each eval set (scanpy seurat flavor)'),
    blockRows: z.number().int().positive().default(512).describe('cells per streamed block'),
    seed: z.number().int().nonnegative().default(0).describe('seed of the z samples (when sample=true) and of the example cells'),
    sample: z.boolean().default(true).describe('sample z from q(z|x) like scvi get_normalized_expression; false = posterior mean'),
    librarySize: z.number().positive().default(1e4).describe('library size of the reconstruction (CP10k)'),
    residuals: z.boolean().default(true).describe('accumulate per-gene residual statistics over all model genes'),
    latent: z.boolean().default(true).describe('keep the posterior-mean latent of every cell ([N, K])'),
    nExampleCells: z.number().int().nonnegative().default(32).describe('cells whose HVG vectors are kept for the observed-vs-reconstructed figure'),
  })
  .strict();
export type ReconstructionOptions = z.infer<typeof ReconstructionOptions>;

export interface ReconstructionProgress {
  phase: 'hvg' | 'reconstruct';
  done: number;
  total: number;
}

export interface ReconstructionSummary {
  nCells: number;
  nHvg: number;
  nGenesModel: number;
  nGenesPresent: number;
  r2: ValueSummary;
  r: ValueSummary;
  perCellType: Record<string, { n: number; nNan: number; median_r2: number; mean_r2: number; q25_r2: number; q75_r2: number }>;
  warnings: string[];
}

export interface ReconstructionResult {
  perCell: { cells: readonly string[]; cellTypes: readonly string[]; r: Float64Array; r2: Float64Array };
  summary: ReconstructionSummary;
  hvgGenes: string[];
  residuals?: GeneResiduals;
  /** posterior-mean latent [N, K] row-major */
  latent?: { data: Float64Array; k: number };
  /** the kept example cells: observed / reconstructed log1p CP10k over the HVGs */
  examples: { index: number; cell: string; cellType: string; r: number; observed: Float64Array; reconstructed: Float64Array }[];
}

/**
 * LDVAE reconstruction accuracy as the study computes it (ldvae-spec 7, study.md 5.1):
 * align eval genes to the model (zero-pad), observed = log1p(CP10k), reconstructed =
 * log1p(normalizedExpression * 1e4), HVGs chosen on the aligned eval set, per-cell Pearson r, r2.
 * Two streamed passes: pass 1 accumulates gene moments for the HVGs; pass 2 reconstructs block
 * by block and keeps only per-cell outputs, per-gene sums and the latent (never [N, G]).
 * @throws GENES_MISMATCH when no eval gene is a model gene; NOT_ENOUGH_CELLS below 2 cells.
 */
export async function evaluateReconstruction(
  model: ReconstructionModel,
  evalSet: EvalSource,
  options: Partial<ReconstructionOptions> = {},
  onProgress?: (p: ReconstructionProgress) => void,
): Promise<ReconstructionResult> {
  const opts = ReconstructionOptions.parse(options);
  const where = evalSet.path ?? evalSet.name;
  const al = alignGenes(evalSet.genes, model.genes, where);
  const N = evalSet.nCells;
  const G = model.genes.length;
  if (N < 2) throw new ScmixError('NOT_ENOUGH_CELLS', `${where}: ${N} cell(s); the HVG step needs at least 2`);
  const warnings: string[] = [];
  if (al.warning) warnings.push(al.warning);
  if (!evalSet.hasCellType) warnings.push(`${where} has no obs 'cell_type' column: every cell is labelled 'unknown'`);

  // pass 1: HVGs on the aligned observed log1p CP10k
  const mom = createHvgMoments(G);
  for (const { start, csr } of evalSet.rowBlocks(opts.blockRows)) {
    const lg = logCp10k(alignCsr(csr, al));
    accumulateHvgMoments(mom, lg.nRows, lg.indices, lg.data, lg.data.length);
    onProgress?.({ phase: 'hvg', done: start + csr.nRows, total: N });
  }
  const hvg = selectHvgSeurat(mom, opts.nTopGenes);
  if (hvg.warning) warnings.push(`${where}: ${hvg.warning}`);
  const cols = hvg.columns;
  const S = cols.length;
  if (S < 2) throw new ScmixError('INPUT_VALUE', `${where}: only ${S} gene(s) vary across cells; a per-cell correlation needs at least 2`);

  const exampleRows = new Set(pickExamples(N, opts.nExampleCells, opts.seed));
  const r = new Float64Array(N);
  const acc = opts.residuals ? createResidualAccumulator(G) : undefined;
  let latentData: Float64Array | undefined;
  let k = 0;
  const examples: ReconstructionResult['examples'] = [];
  const o = new Float64Array(S);
  const p = new Float64Array(S);
  const posInHvg = new Int32Array(G).fill(-1);
  cols.forEach((c, i) => (posInHvg[c] = i));

  for (const { start, csr } of evalSet.rowBlocks(opts.blockRows)) {
    const counts = alignCsr(csr, al); // [B, G]
    const lg = logCp10k(counts);
    const B = counts.nRows;
    const rec = await model.normalizedExpression(counts, {
      librarySize: opts.librarySize,
      sample: opts.sample,
      seed: deriveSeed(opts.seed, 'reconstruction', start),
    }); // [B, G]
    if (rec.length !== B * G) {
      throw new ScmixError('SHAPE_MISMATCH', `model returned ${rec.length} values for a [${B}, ${G}] block`);
    }
    const obsDense = acc ? new Float32Array(B * G) : undefined; // CP10k, for residuals
    for (let i = 0; i < B; i++) {
      o.fill(0);
      for (let q = Number(lg.indptr[i]); q < Number(lg.indptr[i + 1]); q++) {
        const h = posInHvg[lg.indices[q]!]!;
        if (h >= 0) o[h] = lg.data[q]!;
        if (obsDense) obsDense[i * G + lg.indices[q]!] = Math.expm1(lg.data[q]!);
      }
      for (let h = 0; h < S; h++) p[h] = Math.fround(Math.log1p(rec[i * G + cols[h]!]!));
      const ri = pearson(o, p);
      r[start + i] = ri;
      if (exampleRows.has(start + i)) {
        examples.push({ index: start + i, cell: evalSet.cells[start + i]!, cellType: evalSet.cellTypes[start + i]!, r: ri, observed: o.slice(), reconstructed: p.slice() });
      }
    }
    if (acc && obsDense) accumulateResiduals(acc, obsDense, rec, B);
    if (opts.latent && model.latent) {
      const m = toMatrix(await model.latent(counts), B);
      if (!latentData) {
        k = m.cols;
        latentData = new Float64Array(N * k);
      }
      latentData.set(m.data, start * k);
    }
    onProgress?.({ phase: 'reconstruct', done: start + B, total: N });
  }

  const r2 = r.map((v) => v * v);
  const byType = summarizeByGroup(r2, evalSet.cellTypes);
  const perCellType: ReconstructionSummary['perCellType'] = {};
  for (const [t, s] of [...byType].sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0))) {
    perCellType[t] = { n: s.n, nNan: s.nNan, median_r2: s.median, mean_r2: s.mean, q25_r2: s.q25, q75_r2: s.q75 };
  }
  const s2 = summarizeValues(r2);
  if (s2.nNan > 0) warnings.push(`${s2.nNan} cell(s) have a constant profile over the HVGs: r is undefined (NaN) and left out of the summaries`);
  return {
    perCell: { cells: evalSet.cells, cellTypes: evalSet.cellTypes, r, r2 },
    summary: { nCells: N, nHvg: S, nGenesModel: G, nGenesPresent: al.nPresent, r2: s2, r: summarizeValues(r), perCellType, warnings },
    hvgGenes: Array.from(cols, (c) => model.genes[c]!),
    residuals: acc ? perGeneResiduals(acc, model.genes) : undefined,
    latent: latentData ? { data: latentData, k } : undefined,
    examples,
  };
}

/** Seeded sample of row indices (sorted) kept as example cells. */
function pickExamples(n: number, m: number, seed: number): number[] {
  if (m >= n) return Array.from({ length: n }, (_, i) => i);
  const rng = new Rng(deriveSeed(seed, 'example-cells'));
  const chosen = new Set<number>();
  while (chosen.size < m) chosen.add(rng.int(n));
  return [...chosen].sort((a, b) => a - b);
}
