import type { GridSummary } from '../eval/index.js';
import { SCMIX_VERSION } from '../version.js';
import { CSS, figure, table } from './html.js';
import type { ProvenanceEntry } from './writeReport.js';
import { divergingColor, esc } from './svg.js';

export interface ReportParts {
  runDir: string;
  grid: GridSummary;
  figures: { id: string; svg: string; caption: string; section: string }[];
  overlap: { model: string; a: string; b: string; meanBest: number; union: number }[];
  provenance: { entries: ProvenanceEntry[] };
  nExpected: number | null;
  /** results of every model family (default: the reconstruction grid's cells) */
  nResults?: number;
  /** the Geneformer section (geneformerSection.ts), empty when there are no such results */
  geneformerHtml?: string;
  studyName?: string;
}

const n3 = (v: number | null | undefined) => (v === null || v === undefined || !Number.isFinite(v) ? 'n/a' : v.toFixed(2));

/** Plain-language findings computed from the grid (seed 0 of the first model kind). */
function findings(g: GridSummary): string[] {
  const model = g.modelKinds[0];
  const s0 = g.seeds[0];
  const base = g.baseline;
  if (!model || !base) return [];
  const at = (ev: string, c: string) => g.cells.find((x) => x.model === model && x.seed === s0 && x.evalSet === ev && x.corpus === c);
  const out: string[] = [];
  const baseRow = g.evalSets.map((ev) => `${ev} ${n3(at(ev, base)?.median_r2)}`).join(', ');
  out.push(`The baseline model (<b>${esc(base)}</b>) reaches a median per-cell R² of ${esc(baseRow)}.`);
  for (const ev of g.evalSets) {
    const cs = g.corpora.map((c) => at(ev, c)).filter((c): c is NonNullable<typeof c> => !!c && c.median_r2 !== null);
    if (cs.length < 2) continue;
    const best = cs.reduce((a, b) => (b.median_r2! > a.median_r2! ? b : a));
    const b = at(ev, base);
    if (best.corpus === base) out.push(`On <b>${esc(ev)}</b> no corpus beats the baseline (${n3(b?.median_r2)}).`);
    else out.push(`On <b>${esc(ev)}</b> the best corpus is <b>${esc(best.corpus)}</b> (median R² ${n3(best.median_r2)} vs ${n3(b?.median_r2)} for the baseline, log2FC ${n3(best.log2fc_median_r2)}).`);
  }
  // unseen cell types: within an eval set, the baseline's worst cell type and which corpus lifts it most
  for (const ev of g.evalSets) {
    const b = at(ev, base);
    const types = b ? Object.entries(b.perCellType).filter(([t, v]) => t !== 'unknown' && v.n >= 10 && v.median_r2 !== null) : [];
    if (types.length < 2) continue;
    const worst = types.reduce((x, y) => (y[1].median_r2! < x[1].median_r2! ? y : x));
    const bestT = types.reduce((x, y) => (y[1].median_r2! > x[1].median_r2! ? y : x));
    if (bestT[1].median_r2! - worst[1].median_r2! < 0.05) continue;
    let lift: { corpus: string; v: number } | undefined;
    for (const c of g.corpora) {
      const v = at(ev, c)?.perCellType[worst[0]]?.median_r2;
      if (c !== base && v !== null && v !== undefined && (!lift || v > lift.v)) lift = { corpus: c, v };
    }
    out.push(`Within <b>${esc(ev)}</b>, the baseline reconstructs <b>${esc(worst[0])}</b> worst (median ${n3(worst[1].median_r2)}, vs ${n3(bestT[1].median_r2)} for ${esc(bestT[0])})${lift && lift.v > worst[1].median_r2! ? `; <b>${esc(lift.corpus)}</b> brings it to ${n3(lift.v)}` : ''}.`);
  }
  if (g.seedAgreement.length) {
    const worst = g.seedAgreement.reduce((a, b) => (b.pearson < a.pearson ? b : a));
    out.push(`Seed-to-seed agreement of per-cell R²: Pearson ≥ ${worst.pearson.toFixed(3)} over ${g.seedAgreement.length} (corpus, eval set) pairs (lowest: ${esc(worst.corpus)} on ${esc(worst.evalSet)}).`);
  }
  return out;
}

/** The report page: inline SVG figures, tables, methods and provenance; no scripts, no network. */
export function reportHtml(p: ReportParts): string {
  const g = p.grid;
  const sec = (name: string) => p.figures.filter((f) => f.section === name).map((f) => figure(f.id, f.svg, f.caption)).join('\n');
  // one line per distinct message, with the models it came from
  const byMsg = new Map<string, Set<string>>();
  for (const c of g.cells) for (const w of c.warnings ?? []) byMsg.set(w, (byMsg.get(w) ?? new Set()).add(`${c.corpus} seed ${c.seed}`));
  const warn = [...byMsg].map(([w, who]) => `${w} (${who.size} model${who.size > 1 ? 's' : ''}: ${[...who].slice(0, 4).join(', ')}${who.size > 4 ? ', …' : ''})`);
  const nRes = p.nResults ?? g.cells.length;
  const status = `${nRes}${p.nExpected ? ` of ${p.nExpected}` : ''} (model, corpus, seed, eval set) results in${p.nExpected && nRes < p.nExpected ? ' &mdash; <b>the run is still going or incomplete; missing cells show as "pending"</b>' : ''}.`;
  const s0 = g.seeds[0];
  const model = g.modelKinds[0];
  // median r2 table with log2FC shading, the numbers behind the heatmap
  const mt = g.evalSets.map((ev) => [ev, ...g.corpora.map((c) => g.cells.find((x) => x.model === model && x.seed === s0 && x.evalSet === ev && x.corpus === c)?.median_r2 ?? null)]);
  const fcLim = Math.min(5, Math.max(1, Math.ceil(Math.max(0, ...g.cells.filter((x) => x.model === model && x.seed === s0).map((x) => Math.abs(x.log2fc_median_r2 ?? 0))))));
  const shade = (r: number, c: number) => {
    if (c === 0) return undefined;
    const cell = g.cells.find((x) => x.model === model && x.seed === s0 && x.evalSet === g.evalSets[r] && x.corpus === g.corpora[c - 1]);
    return cell && cell.corpus !== g.baseline ? divergingColor(cell.log2fc_median_r2, fcLim) : undefined;
  };
  const knnRows = g.evalSets.map((ev) => [ev, ...g.corpora.map((c) => g.cells.find((x) => x.model === model && x.seed === s0 && x.evalSet === ev && x.corpus === c)?.knn?.accuracy ?? null)]);
  const ov = p.overlap.filter((o) => o.model === model && o.a === g.baseline).map((o) => [o.b, o.meanBest, o.union]);
  const pct = g.cells
    .filter((c) => c.model === model && c.seed === s0)
    .flatMap((c) => Object.entries(c.perCellType).map(([t, v]) => [c.evalSet, c.corpus, t, v.n, v.median_r2, v.mean_r2] as (string | number | null)[]));
  const rel = (x: string | undefined) => (x && x.startsWith(p.runDir) ? x.slice(p.runDir.length).replace(/^\//, '') : x ?? '');
  const short = (x: string | undefined) => (x ? x.slice(0, 16) : '');
  const cfgText = (c: unknown) => (c && typeof c === 'object' ? Object.entries(c as Record<string, unknown>).filter(([k]) => ['epochs', 'nLatent', 'nHidden', 'nLayers', 'lr', 'seed', 'nEpochsKlWarmup', 'hiddenSize', 'numHiddenLayers', 'vocabSize', 'maxSteps', 'batchSize'].includes(k)).map(([k, v]) => `${k} ${String(v)}`).join(', ') : '');
  const seenModel = new Set<string>();
  const multiModel = new Set(p.provenance.entries.map((e) => e.model)).size > 1;
  const provModels = p.provenance.entries.filter((e) => { const k = `${e.model}/${e.corpus}/${e.seed}`; if (seenModel.has(k)) return false; seenModel.add(k); return true; })
    .map((e) => [multiModel ? `${e.model}: ${e.corpus}` : e.corpus, e.seed, rel(e.modelDir), short(e.modelSha256?.['model.safetensors'] ?? Object.values(e.modelSha256 ?? {})[0]), cfgText(e.modelConfig), rel(e.corpusManifest), short(e.corpusManifestSha256), e.scmixVersion]);
  const seenEval = new Set<string>();
  const provEvals = p.provenance.entries.filter((e) => { if (seenEval.has(e.evalSet)) return false; seenEval.add(e.evalSet); return true; })
    .map((e) => [e.evalSet, rel(e.evalFile), short(e.evalSha256), rel(e.evalSetManifest)]);
  return `<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>scmix report${p.studyName ? ` — ${esc(p.studyName)}` : ''}</title><style>${CSS}</style></head><body>
<h1>Training-data composition study${p.studyName ? `: ${esc(p.studyName)}` : ''}</h1>
<p class="lead">How well does each model, trained on a different mixture of data sources, reconstruct cells it has never seen? Reconstruction accuracy as in Nadig et al. 2025 (LDVAE, per-cell R² over 1000 highly variable genes of each evaluation set).</p>
<div class="status">Run directory <code>${esc(p.runDir)}</code>. ${status} Baseline corpus: <b>${esc(g.baseline ?? 'none')}</b>. Seeds: ${g.seeds.join(', ') || 'none'}. scmix ${SCMIX_VERSION}.</div>
${warn.length ? `<details class="warn"><summary>${warn.length} warning(s) from the evaluations</summary><ul>${warn.map((w) => `<li>${esc(w)}</li>`).join('')}</ul></details>` : ''}
<nav><a href="#s-findings">Findings</a><a href="#s-heatmap">Heatmap</a><a href="#s-dist">Distributions</a><a href="#s-seeds">Seeds</a><a href="#s-training">Training</a><a href="#s-latent">Latent spaces</a><a href="#s-example">Example cells</a>${p.geneformerHtml ? '<a href="#s-geneformer">Geneformer</a>' : ''}<a href="#s-methods">Methods</a><a href="#s-prov">Provenance</a></nav>
<h2 id="s-findings">What the numbers say</h2><ul>${findings(g).map((f) => `<li>${f}</li>`).join('')}</ul>
<h2 id="s-heatmap">Reconstruction accuracy per model and eval set</h2>${sec('heatmap')}
<h3>The numbers behind the heatmap (median per-cell R²; — = not computed yet)</h3>${table(['eval set', ...g.corpora], mt, { shade })}
<p class="small">All grid numbers: <code>tables/grid.csv</code> (also mean, quartiles, NaN counts, log2FC, kNN accuracy); per cell type: <code>tables/per_cell_type.csv</code>.</p>
<h2 id="s-dist">Per-cell distributions</h2>${sec('distributions') || '<p>No per-cell results yet.</p>'}
<h2 id="s-seeds">Does the training seed matter?</h2>${sec('seeds') || `<p>Only one seed (${g.seeds.join(', ') || 'none'}) in this run: the seed-0 vs seed-1 comparison (Supp. Fig. 1B) needs <code>seeds: [0, 1]</code>.</p>`}
${g.seedAgreement.length ? table(['corpus', 'eval set', 'seeds', 'cells', 'Pearson', 'Spearman', 'mean |ΔR²|'], g.seedAgreement.map((a) => [a.corpus, a.evalSet, `${a.seedA} vs ${a.seedB}`, a.n, a.pearson, a.spearman, a.meanAbsDiff]), { leftCols: 3 }) : ''}
<h2 id="s-training">Training</h2>${sec('training') || '<p>No training history found under <code>models/</code>.</p>'}
<h2 id="s-latent">Latent spaces (Fig. 1D: embedding uniqueness, factor loadings)</h2>${sec('latent') || '<p>No latent samples yet.</p>'}
<h3>kNN cell-type transfer accuracy in each model's latent space</h3>
<p class="small">Leave-one-out: every cell of an eval set gets the majority cell_type of its 15 nearest neighbours (exact search on the posterior-mean latent). High accuracy = the latent space keeps the eval set's cell types apart. —: not computed yet, or an eval set without cell_type labels.</p>
${table(['eval set', ...g.corpora], knnRows)}
<h3>Factor-loading overlap with the baseline</h3>
<p class="small">Top 20 positive and 20 negative genes per factor of each model's linear decoder; each baseline factor is matched to the most similar factor of the other model (Jaccard of gene sets). 1 = same gene programs, 0 = none shared.</p>
${ov.length ? table(['corpus', `mean best-match Jaccard vs ${g.baseline}`, 'Jaccard of all top genes'], ov) : '<p>No factor loadings recorded yet.</p>'}
<h2 id="s-example">A typical cell, observed vs reconstructed</h2>${sec('example') || '<p>No example cells yet.</p>'}
<details><summary>Per cell type (${pct.length} rows)</summary>${table(['eval set', 'corpus', 'cell type', 'cells', 'median R²', 'mean R²'], pct, { leftCols: 3 })}</details>
${p.geneformerHtml ?? ''}<h2 id="s-methods">Methods</h2>
<ul>
<li><b>Alignment.</b> Eval genes are reordered to the model's genes; model genes missing from the eval set are zero columns; extra eval genes are dropped (scvi <code>prepare_query_anndata</code>).</li>
<li><b>Observed</b> = log1p(counts / total × 10⁴), totals over the model's genes. <b>Reconstructed</b> = log1p(10⁴ × ρ̂), ρ̂ the decoder's expression frequencies (<code>get_normalized_expression(library_size=1e4)</code>, z sampled from q(z|x) as scvi does unless stated).</li>
<li><b>Genes scored.</b> 1000 highly variable genes chosen on each eval set (scanpy 1.10.2 <code>flavor='seurat'</code>, 20 mean bins, ties at the cutoff kept), so every model is scored on the same genes for a given eval set.</li>
<li><b>Per cell</b>: Pearson r between observed and reconstructed over those genes, R² = r². A cell with a constant profile has no r (NaN); it is counted, not scored.</li>
<li><b>Summaries</b>: median (shown), mean and quartiles over cells; log2 fold change = log2(median R² / median R² of the baseline corpus on the same eval set).</li>
<li><b>Per-gene residuals</b> (<code>genes.csv</code> in each eval folder): residual = observed CP10k − reconstructed CP10k; residual mean and variance, proportional residual mean = residual mean / mean observed CP10k, explained variance = var(reconstructed) / var(observed).</li>
</ul>
<h2 id="s-prov">Provenance</h2>
<p class="small">Every number above comes from one row here: the checkpoint (sha256 of its files), the corpus manifest it was trained on, the eval file (sha256) and the scmix version. Full record: <code>tables/provenance.json</code>.</p>
<h3>Models</h3>${table(['corpus', 'seed', 'checkpoint', 'model.safetensors sha256', 'config', 'corpus manifest', 'manifest sha256', 'scmix'], provModels, { leftCols: 8 })}
<h3>Evaluation sets</h3>${table(['eval set', 'file', 'sha256', 'manifest'], provEvals, { leftCols: 4 })}
<p class="small">Paths are relative to the run directory; hashes are shown to 16 hex digits (full values in <code>tables/provenance.json</code>).</p>
</body></html>
`;
}
