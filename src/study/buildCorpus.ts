/**
 * Assemble one corpus (or evaluation set) from a plan: the chosen rows of each component on the
 * corpus gene set, obs `dataset` = the component label, obs_names reset to 0..n-1 (as the study
 * did), X as CSR of raw counts, plus a manifest that records everything needed to rebuild it.
 * Nothing here depends on time or the machine, so identical inputs + seed give identical bytes.
 */
import type { AnnData, Column, Frame } from '../io/index.js';
import { SCMIX_VERSION } from '../version.js';
import { CsrBuilder } from './gatherRows.js';
import { columnMap } from './geneSet.js';
import type { StudyPlan } from './planStudy.js';
import { availableCells } from './prepareSource.js';
import { corpusComponents } from './schema.js';
import { selectComponent, selectEvalCells } from './selectComponent.js';

/** Counts per component and per source, as written to manifest.json. */
export interface CorpusManifest {
  scmixVersion: string;
  study: string;
  kind: 'corpus' | 'evalset';
  name: string;
  seed: number | null;
  nCells: number;
  nGenes: number;
  geneSet: 'corpus' | 'study' | 'source';
  components: { name: string; source: string; label: string; requested: number | 'all'; split: string | null; nCells: number }[];
  sources: Record<string, { path: string; format: string; bytes: number; sha256: string; nCells: number; afterFilters: number; afterQc: number; available: number }>;
}

export interface BuildProgress {
  (done: number, total: number): void;
}

/** Build corpus `name` for `seed` in memory. */
export function buildCorpus(plan: StudyPlan, name: string, seed: number, onProgress?: BuildProgress): { adata: AnnData; manifest: CorpusManifest } {
  const c = plan.study.config;
  const genes = plan.genes.get(name)!;
  const comps = corpusComponents(c.corpora[name]);
  const picks = comps.map((comp) => {
    const spec = c.components[comp];
    const ps = plan.sources.get(spec.source)!;
    return { comp, spec, ps, rows: selectComponent(plan.study, comp, availableCells(ps.prepared, c.sources[spec.source], seed), seed) };
  });
  const total = picks.reduce((a, p) => a + p.rows.length, 0);
  const b = new CsrBuilder(genes.length);
  const labels: string[] = [];
  const types: string[] = [];
  const srcNames: string[] = [];
  const srcRows: number[] = [];
  for (const p of picks) {
    const before = b.nRows;
    b.appendRows(p.ps.cells, p.rows, columnMap(p.ps.prepared.geneIds, genes), onProgress && ((k) => (k % 1024 === 0 || k === p.rows.length) && onProgress(before + k, total)));
    const label = p.spec.label ?? p.comp;
    for (const r of p.rows) {
      labels.push(label);
      types.push(p.ps.prepared.cellType[r]);
      srcNames.push(p.spec.source);
      srcRows.push(r);
    }
  }
  const X = b.finish();
  const obs: Frame = {
    index: Array.from({ length: X.nRows }, (_, i) => String(i)),
    columns: new Map<string, Column>([
      ['dataset', categorical(labels, picks.map((p) => p.spec.label ?? p.comp))],
      ['cell_type', categorical(types)],
      ['source', categorical(srcNames, [...new Set(picks.map((p) => p.spec.source))])],
      ['source_row', { kind: 'number', values: Float64Array.from(srcRows), dtype: 'int64' }],
    ]),
  };
  const manifest: CorpusManifest = {
    scmixVersion: SCMIX_VERSION,
    study: c.name,
    kind: 'corpus',
    name,
    seed,
    nCells: X.nRows,
    nGenes: genes.length,
    geneSet: c.genes,
    components: picks.map((p) => ({
      name: p.comp,
      source: p.spec.source,
      label: p.spec.label ?? p.comp,
      requested: p.spec.size,
      split: p.spec.split ? `${p.spec.split.part}/${p.spec.split.parts}` : null,
      nCells: p.rows.length,
    })),
    sources: sourceRecords(plan, [...new Set(picks.map((p) => p.spec.source))], seed),
  };
  return { adata: { X, obs, var: varFrame(plan, genes, picks.map((p) => p.spec.source)), layers: new Map(), obsm: new Map(), varm: new Map(), uns: { scmix: { corpus: name, seed, study: c.name } } }, manifest };
}

/**
 * Build evaluation set `name`: QC'd (and filtered) cells of its source on all of the source's
 * mapped genes (sorted ids); models align to it by id at evaluation time. Seed-independent.
 */
export function buildEvalSet(plan: StudyPlan, name: string): { adata: AnnData; manifest: CorpusManifest } {
  const c = plan.study.config;
  const ev = c.evaluations[name];
  const ps = plan.sources.get(ev.source)!;
  const genes = [...new Set(ps.prepared.geneIds.filter((x): x is string => x !== null))].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  const rows = selectEvalCells(ps.prepared.passing, name, ev.size);
  const b = new CsrBuilder(genes.length);
  b.appendRows(ps.cells, rows, columnMap(ps.prepared.geneIds, genes));
  const X = b.finish();
  const obs: Frame = {
    index: Array.from({ length: X.nRows }, (_, i) => String(i)),
    columns: new Map<string, Column>([
      ['dataset', categorical(new Array(X.nRows).fill(name))],
      ['cell_type', categorical(Array.from(rows, (r) => ps.prepared.cellType[r]))],
      ['source_row', { kind: 'number', values: Float64Array.from(rows), dtype: 'int64' }],
    ]),
  };
  const manifest: CorpusManifest = {
    scmixVersion: SCMIX_VERSION,
    study: c.name,
    kind: 'evalset',
    name,
    seed: null,
    nCells: X.nRows,
    nGenes: genes.length,
    geneSet: 'source',
    components: [{ name, source: ev.source, label: name, requested: ev.size, split: null, nCells: X.nRows }],
    sources: sourceRecords(plan, [ev.source], 0),
  };
  return { adata: { X, obs, var: varFrame(plan, genes, [ev.source]), layers: new Map(), obsm: new Map(), varm: new Map(), uns: { scmix: { evalSet: name, study: c.name } } }, manifest };
}

function sourceRecords(plan: StudyPlan, names: string[], seed: number): CorpusManifest['sources'] {
  const out: CorpusManifest['sources'] = {};
  for (const s of names) {
    const ps = plan.sources.get(s)!;
    const spec = plan.study.config.sources[s];
    out[s] = {
      path: spec.path,
      format: spec.format,
      bytes: ps.bytes,
      sha256: ps.sha256,
      nCells: ps.prepared.nCells,
      afterFilters: ps.prepared.afterFilters,
      afterQc: ps.prepared.afterQc,
      available: availableCells(ps.prepared, spec, seed).length,
    };
  }
  return out;
}

/** var: index = gene id; feature_name = the symbol from the first listed source that has one. */
function varFrame(plan: StudyPlan, genes: string[], sources: string[]): Frame {
  const sym = new Map<string, string>();
  for (const s of sources) {
    const p = plan.sources.get(s)!.prepared;
    if (!p.symbols) continue;
    p.geneIds.forEach((id, j) => {
      if (id !== null && !sym.has(id) && p.symbols![j]) sym.set(id, p.symbols![j]!);
    });
  }
  return {
    index: genes.slice(),
    columns: new Map<string, Column>([
      ['feature_id', { kind: 'string', values: genes.slice() }],
      ['feature_name', { kind: 'string', values: genes.map((g) => sym.get(g) ?? g) }],
    ]),
  };
}

function categorical(values: string[], order?: string[]): Column {
  const categories = order ? [...new Set(order)] : [...new Set(values)].sort();
  const at = new Map(categories.map((c, i) => [c, i]));
  return { kind: 'categorical', codes: Int32Array.from(values, (v) => at.get(v) ?? -1), categories, ordered: false };
}
