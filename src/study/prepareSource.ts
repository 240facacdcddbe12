/**
 * Apply one source's rules (docs/study.md section 3): gene ids, obs filters, the GTEx TF rule,
 * cell QC (total > minCounts and mito fraction < maxMitoFraction, from X or from author obs
 * columns) and the optional cell cap. Every check that can fail on the user's input fails here,
 * with the YAML line of the rule, before any corpus is written or model trained.
 */
import { ScmixError } from '../errors.js';
import { Rng, SYMBOL_COLUMNS, buildSymbolMap, deriveSeed, qcOfCsr, stripEnsemblVersion } from '../data/index.js';
import type { Frame } from '../io/index.js';
import type { CellSource } from './cellSource.js';
import { columnNames, columnNumbers, columnStrings, sameValue } from './frameColumn.js';
import type { ParsedStudy } from './parseStudy.js';
import type { Source } from './schema.js';

/** A source after its rules: the cells that pass, and its genes as corpus ids. */
export interface PreparedSource {
  readonly name: string;
  readonly nCells: number;
  readonly afterFilters: number;
  readonly afterQc: number;
  /** cells passing filters + QC, ascending (before the cap) */
  readonly passing: Int32Array;
  /** per var column: the Ensembl-like id it maps to, or null when unmapped */
  readonly geneIds: (string | null)[];
  /** per var column: the symbol (for var feature_name), or null */
  readonly symbols: (string | null)[] | null;
  /** per cell: its cell_type label ('' when unknown) */
  readonly cellType: string[];
}

/** What a source needs from other sources (symbol -> id maps) and files (GTEx tables). */
export interface PrepareContext {
  /** var frame of another source, for genes.mapSymbolsFrom */
  varOf(source: string): Promise<Frame>;
  /** obs frame of another source, for notInSource filters */
  obsOf(source: string): Promise<Frame>;
  /** TSV file text for genes.mapFile */
  readText(path: string): string;
  /** GTEx table reader (io room's readGct) */
  readGct(path: string): Promise<{ rowMeta: Frame; rowIds: string[]; colIds: string[]; nCols: number; values: Float64Array }>;
  onProgress?: (done: number, total: number) => void;
}

/**
 * @throws CONFIG_INVALID (a rule names a missing column; lists the columns there are),
 *   GENES_MISMATCH (no gene maps to an id), INPUT_VALUE (no cell passes).
 */
export async function prepareSource(study: ParsedStudy, name: string, src: CellSource, ctx: PrepareContext): Promise<PreparedSource> {
  const spec = study.config.sources[name];
  const at = (...path: (string | number)[]) => study.locate(['sources', name, ...path]);
  const needColumn = (frame: Frame, col: string, path: (string | number)[], what: string) => {
    if (col !== 'index' && !frame.columns.has(col))
      throw new ScmixError('CONFIG_INVALID', `${at(...path)}: ${what} column "${col}" is not in ${spec.path}; available: ${columnNames(frame).join(', ')}`);
  };
  const { geneIds, symbols } = await resolveGenes(study, name, spec, src.var, ctx, needColumn);

  // Obs filters (all must hold).
  const n = src.nCells;
  const keep = new Uint8Array(n).fill(1);
  for (let i = 0; i < spec.filters.length; i++) {
    const f = spec.filters[i];
    needColumn(src.obs, f.column, ['filters', i, 'column'], 'filter');
    const vals = columnStrings(src.obs, f.column);
    let set = new Set((f.in ?? f.notIn ?? []).map(String));
    if (f.notInSource) {
      const other = await ctx.obsOf(f.notInSource.source);
      needColumn(other, f.notInSource.column, ['filters', i, 'notInSource', 'column'], `source "${f.notInSource.source}"`);
      set = new Set(columnStrings(other, f.notInSource.column));
    }
    for (let c = 0; c < n; c++) {
      const v = vals[c];
      const ok =
        f.equals !== undefined ? sameValue(v, f.equals) : f.notEquals !== undefined ? !sameValue(v, f.notEquals) : f.in ? set.has(v) : !set.has(v);
      if (!ok) keep[c] = 0;
    }
  }
  if (spec.tfFilter) await applyTfRule(study, name, spec, src.obs, keep, ctx, needColumn);
  let afterFilters = 0;
  for (let c = 0; c < n; c++) afterFilters += keep[c];

  // QC.
  if (spec.qc !== 'none') {
    const qc = spec.qc;
    let total: Float64Array;
    let mito: Float64Array;
    if (qc.totalCountsColumn !== undefined || qc.mitoFractionColumn !== undefined) {
      if (qc.totalCountsColumn === undefined || qc.mitoFractionColumn === undefined)
        throw new ScmixError('CONFIG_INVALID', `${at('qc')}: author-column QC needs both totalCountsColumn and mitoFractionColumn`);
      needColumn(src.obs, qc.totalCountsColumn, ['qc', 'totalCountsColumn'], 'QC');
      needColumn(src.obs, qc.mitoFractionColumn, ['qc', 'mitoFractionColumn'], 'QC');
      total = columnNumbers(src.obs, qc.totalCountsColumn);
      mito = columnNumbers(src.obs, qc.mitoFractionColumn);
    } else {
      if (!symbols) throw new ScmixError('CONFIG_INVALID', `${at('genes')}: QC needs gene symbols for the ${qc.mitoPrefix} mask; set genes.symbols`);
      const isMito = Uint8Array.from(symbols, (s) => (s !== null && s.startsWith(qc.mitoPrefix) ? 1 : 0));
      if (!isMito.some((v) => v === 1))
        throw new ScmixError('CONFIG_INVALID', `${at('qc')}: no gene symbol of ${spec.path} starts with "${qc.mitoPrefix}", so the mito fraction cannot be computed`, {
          hint: 'set genes.symbols to the symbol column, or use author columns (qc.totalCountsColumn / qc.mitoFractionColumn)',
        });
      ({ total, mito } = rowQc(src, isMito, ctx.onProgress));
    }
    for (let c = 0; c < n; c++) if (!(total[c] > qc.minCounts && mito[c] < qc.maxMitoFraction)) keep[c] = 0;
  }
  const passing: number[] = [];
  for (let c = 0; c < n; c++) if (keep[c]) passing.push(c);
  const cellType = spec.cellType ? (needColumn(src.obs, spec.cellType, ['cellType'], 'cellType'), columnStrings(src.obs, spec.cellType)) : src.obs.columns.has('cell_type') ? columnStrings(src.obs, 'cell_type') : new Array<string>(n).fill('');
  return { name, nCells: n, afterFilters, afterQc: passing.length, passing: Int32Array.from(passing), geneIds, symbols, cellType };
}

/** The cells a component or eval set may draw from: passing cells, capped by maxCells (seeded). */
export function availableCells(p: PreparedSource, spec: Source, seed: number): Int32Array {
  if (spec.maxCells === undefined || p.passing.length <= spec.maxCells) return p.passing;
  const pick = new Rng(deriveSeed(seed, 'cap', p.name)).sampleWithoutReplacement(p.passing.length, spec.maxCells);
  return Int32Array.from(pick, (i) => p.passing[i]);
}

/** Per-cell total counts and mito fraction from X, streamed in row blocks (data room's qcOfCsr). */
function rowQc(src: CellSource, isMito: Uint8Array, onProgress?: (done: number, total: number) => void) {
  const total = new Float64Array(src.nCells);
  const mito = new Float64Array(src.nCells);
  for (const { start, csr } of src.blocks(8192)) {
    const q = qcOfCsr(csr, isMito);
    total.set(q.totalCounts, start);
    mito.set(q.mitoFraction, start);
    onProgress?.(start + csr.nRows, src.nCells);
  }
  return { total, mito };
}

type NeedColumn = (frame: Frame, col: string, path: (string | number)[], what: string) => void;

async function resolveGenes(study: ParsedStudy, name: string, spec: Source, v: Frame, ctx: PrepareContext, needColumn: NeedColumn) {
  const g = spec.genes;
  // Only Ensembl-shaped ids lose a version suffix (symbols such as AL627309.1 keep theirs).
  const strip = (id: string) => (g.stripVersion ? stripEnsemblVersion(id) : id);
  const symbolCol = g.symbols ?? SYMBOL_COLUMNS.find((c: string) => v.columns.has(c)) ?? (g.ids === undefined || g.ids !== 'index' ? 'index' : undefined);
  if (g.symbols !== undefined) needColumn(v, g.symbols, ['genes', 'symbols'], 'gene symbol');
  const symbols: (string | null)[] | null = symbolCol ? columnStrings(v, symbolCol) : null;
  let geneIds: (string | null)[];
  if (g.ids !== undefined) {
    needColumn(v, g.ids, ['genes', 'ids'], 'gene id');
    geneIds = columnStrings(v, g.ids).map((s) => (s === '' ? null : strip(s)));
  } else {
    const map = new Map<string, string>();
    if (g.mapFile !== undefined) {
      for (const line of ctx.readText(study.resolvePath(g.mapFile)).split('\n')) {
        const [sym, id] = line.replace(/\r$/, '').split('\t');
        if (sym && id) map.set(sym, strip(id));
      }
    } else {
      const other = study.config.sources[g.mapSymbolsFrom!];
      const ov = await ctx.varOf(g.mapSymbolsFrom!);
      const oSym = other.genes.symbols ?? SYMBOL_COLUMNS.find((c: string) => ov.columns.has(c));
      if (!oSym || other.genes.ids === undefined)
        throw new ScmixError('CONFIG_INVALID', `${study.locate(['sources', name, 'genes', 'mapSymbolsFrom'])}: source "${g.mapSymbolsFrom}" must declare genes.ids and have a symbol column to map through`);
      const ids = columnStrings(ov, other.genes.ids).map((id) => (other.genes.stripVersion ? stripEnsemblVersion(id) : id));
      // Like the study's Python loop: for a duplicated symbol the last id wins.
      for (const [sym, id] of buildSymbolMap(columnStrings(ov, oSym), ids)) map.set(sym, id);
    }
    geneIds = symbols!.map((s) => (s === null ? null : map.get(s) ?? null));
  }
  if (!geneIds.some((x) => x !== null))
    throw new ScmixError('GENES_MISMATCH', `${study.locate(['sources', name, 'genes'])}: no gene of ${spec.path} maps to an id (first var names: ${v.index.slice(0, 3).join(', ')})`);
  return { geneIds, symbols };
}

/** Joung TF rule (docs/study.md section 3): keep cells whose TF has GTEx tissue z > minZ. */
async function applyTfRule(study: ParsedStudy, name: string, spec: Source, obs: Frame, keep: Uint8Array, ctx: PrepareContext, needColumn: NeedColumn) {
  const r = spec.tfFilter!;
  needColumn(obs, r.column, ['tfFilter', 'column'], 'TF');
  const gct = await ctx.readGct(study.resolvePath(r.gct));
  const t = gct.colIds.indexOf(r.tissue);
  if (t < 0) throw new ScmixError('CONFIG_INVALID', `${study.locate(['sources', name, 'tfFilter', 'tissue'])}: tissue "${r.tissue}" is not a column of ${r.gct}; available: ${gct.colIds.join(', ')}`);
  const desc = gct.rowMeta.columns.has('Description') ? columnStrings(gct.rowMeta, 'Description') : gct.rowIds;
  // Genes zero in every tissue are dropped; z over tissues with pandas' std (ddof = 1). Index by
  // Description: for a duplicated symbol pandas .loc would return several rows; keep the last.
  const z = new Map<string, number>();
  const T = gct.nCols;
  for (let i = 0; i < desc.length; i++) {
    const row = gct.values.subarray(i * T, (i + 1) * T);
    if (row.every((x) => x === 0)) continue;
    const m = row.reduce((a, b) => a + b, 0) / T;
    const sd = Math.sqrt(row.reduce((a, b) => a + (b - m) ** 2, 0) / (T - 1));
    z.set(desc[i], (row[t] - m) / sd);
  }
  const tfs = columnStrings(obs, r.column);
  for (let c = 0; c < tfs.length; c++) {
    const sym = tfs[c].split(r.separator)[r.part];
    const zc = sym === undefined ? undefined : z.get(sym);
    if (!(zc !== undefined && zc > r.minZ)) keep[c] = 0;
  }
}
