/**
 * Stacking datasets along cells, like `anndata.concat(list, label=..., keys=..., join=...)`.
 */
import type { AnnData, Column, Csr, Dense, Frame, NumericDtype } from '../io/index.js';
import { ScmixError } from '../errors.js';
import { gatherColumn, toCategorical } from './frameOps.js';
import { remapCsrColumns, isCsr } from './subset.js';

export interface ConcatOptions {
  /** obs column naming each cell's dataset (categorical over `keys`); default 'dataset'; null: none */
  readonly label?: string | null;
  /** one name per dataset; default '0', '1', ... */
  readonly keys?: string[];
  /** 'inner' (default, as anndata): genes present in every dataset; 'outer': all genes, absent = 0 */
  readonly join?: 'inner' | 'outer';
  /** when set, obs names become `${name}${indexUnique}${key}` (anndata's index_unique) */
  readonly indexUnique?: string;
}

export interface ConcatResult {
  readonly adata: AnnData;
  /** obs columns left out because their type differs between datasets */
  readonly droppedObsColumns: string[];
}

type Kind = 'num' | 'str' | 'bool';
const kindOf = (c: Column): Kind =>
  c.kind === 'number' || c.kind === 'nullable-integer' ? 'num' : c.kind === 'boolean' || c.kind === 'nullable-boolean' ? 'bool' : 'str';

/**
 * Concatenates cells of several AnnData records.
 * - Genes: `inner` keeps genes in every dataset, in the first dataset's order; `outer` keeps the
 *   union in order of first appearance (anndata sorts it; scmix keeps appearance order).
 * - obs: the union of columns; a column whose kind (number / string-or-categorical / boolean)
 *   disagrees between datasets is dropped and reported. Cells of a dataset without the column
 *   get missing values. Strings become a categorical when values are missing or parts were
 *   categorical.
 * - var: the first dataset's columns (for outer genes missing there: missing values).
 * - layers (CSR) and obsm present in every dataset are stacked; others are dropped. uns is empty.
 * @throws CONFIG_INVALID for an empty list or a wrong number of keys; GENES_MISMATCH when an
 *   inner join leaves no gene.
 */
export function concatAnnData(list: AnnData[], opts: ConcatOptions = {}): ConcatResult {
  if (list.length === 0) throw new ScmixError('CONFIG_INVALID', 'concatAnnData needs at least one dataset');
  const keys = opts.keys ?? list.map((_, i) => String(i));
  if (keys.length !== list.length) throw new ScmixError('CONFIG_INVALID', `concatAnnData: ${keys.length} keys for ${list.length} datasets`);
  const label = opts.label === undefined ? 'dataset' : opts.label;
  const join = opts.join ?? 'inner';

  // Genes.
  let genes: string[];
  if (join === 'inner') {
    const sets = list.slice(1).map((a) => new Set(a.var.index));
    genes = [...new Set(list[0].var.index)].filter((g) => sets.every((s) => s.has(g)));
    if (genes.length === 0) throw new ScmixError('GENES_MISMATCH', `concatAnnData: the ${list.length} datasets (${keys.join(', ')}) share no gene; check that they use the same gene ids (symbols vs Ensembl)`);
  } else {
    const seen = new Set<string>();
    genes = [];
    for (const a of list) for (const g of a.var.index) if (!seen.has(g)) { seen.add(g); genes.push(g); }
  }
  const pos = new Map(genes.map((g, i) => [g, i]));
  const maps = list.map((a) => {
    const m = new Int32Array(a.var.index.length).fill(-1);
    const taken = new Set<number>();
    a.var.index.forEach((g, c) => {
      const p = pos.get(g);
      // A repeated gene name keeps its first column only.
      if (p !== undefined && !taken.has(p)) { m[c] = p; taken.add(p); }
    });
    return m;
  });

  const X = stackCsr(list.map((a, i) => remapCsrColumns(a.X, maps[i], genes.length)), genes.length);

  // obs.
  const nCells = list.map((a) => a.obs.index.length);
  const total = nCells.reduce((s, n) => s + n, 0);
  const names: string[] = [];
  const dropped: string[] = [];
  for (const a of list) for (const k of a.obs.columns.keys()) if (!names.includes(k)) names.push(k);
  const columns = new Map<string, Column>();
  for (const name of names) {
    const parts = list.map((a) => a.obs.columns.get(name));
    const kinds = new Set(parts.filter((p): p is Column => p !== undefined).map(kindOf));
    if (kinds.size > 1) { dropped.push(name); continue; }
    columns.set(name, stackColumn(parts, nCells, [...kinds][0]));
  }
  if (label !== null) {
    if (columns.has(label)) dropped.push(label);
    const codes = new Int32Array(total);
    let o = 0;
    nCells.forEach((n, i) => { codes.fill(i, o, o + n); o += n; });
    columns.set(label, { kind: 'categorical', codes, categories: keys.slice(), ordered: false });
  }
  const index: string[] = [];
  list.forEach((a, i) => { for (const n of a.obs.index) index.push(opts.indexUnique !== undefined ? `${n}${opts.indexUnique}${keys[i]}` : n); });
  const obs: Frame = { index, columns };

  // var from the first dataset.
  const first = list[0].var;
  const firstPos = new Map<string, number>();
  first.index.forEach((g, i) => { if (!firstPos.has(g)) firstPos.set(g, i); });
  const src = Int32Array.from(genes, (g) => firstPos.get(g) ?? -1);
  const varCols = new Map<string, Column>();
  for (const [k, c] of first.columns) varCols.set(k, gatherColumn(c, src));

  const layers = new Map<string, Csr | Dense>();
  for (const [k, m0] of list[0].layers) {
    if (!isCsr(m0) || !list.every((a) => { const m = a.layers.get(k); return m !== undefined && isCsr(m); })) continue;
    layers.set(k, stackCsr(list.map((a, i) => remapCsrColumns(a.layers.get(k) as Csr, maps[i], genes.length)), genes.length));
  }
  const obsm = new Map<string, Dense>();
  for (const [k, m0] of list[0].obsm) {
    const parts = list.map((a) => a.obsm.get(k));
    if (!parts.every((p) => p !== undefined && p.shape[1] === m0.shape[1])) continue;
    const data = new Float64Array(total * m0.shape[1]);
    let o = 0;
    for (const p of parts as Dense[]) { data.set(p.data, o); o += p.data.length; }
    obsm.set(k, { shape: [total, m0.shape[1]], data: m0.data instanceof Float32Array ? Float32Array.from(data) : data });
  }
  return {
    adata: { X, obs, var: { index: genes, columns: varCols }, layers, obsm, varm: new Map(), uns: {} },
    droppedObsColumns: dropped,
  };
}

/** Row-stacks CSR matrices with the same column count. */
export function stackCsr(parts: Csr[], nCols: number): Csr {
  const nRows = parts.reduce((s, p) => s + p.nRows, 0);
  const nnz = parts.reduce((s, p) => s + p.indptr[p.nRows], 0);
  const indptr = nnz >= 2 ** 31 ? new Float64Array(nRows + 1) : new Int32Array(nRows + 1);
  const indices = new Int32Array(nnz);
  const data = new Float32Array(nnz);
  let r = 0, o = 0;
  for (const p of parts) {
    const pn = p.indptr[p.nRows];
    indices.set(p.indices.subarray(0, pn), o);
    data.set(p.data.subarray(0, pn), o);
    for (let i = 1; i <= p.nRows; i++) indptr[r + i] = o + p.indptr[i];
    r += p.nRows;
    o += pn;
  }
  return { nRows, nCols, indptr, indices, data };
}

function stackColumn(parts: (Column | undefined)[], nCells: number[], kind: Kind): Column {
  const total = nCells.reduce((s, n) => s + n, 0);
  const anyMissingPart = parts.some((p) => p === undefined);
  if (kind === 'num') {
    const values = new Float64Array(total);
    const mask = new Uint8Array(total);
    let o = 0, masked = false;
    const dtypes = new Set<string>();
    parts.forEach((p, i) => {
      for (let j = 0; j < nCells[i]; j++) {
        if (p === undefined) { values[o + j] = NaN; mask[o + j] = 1; masked = true; continue; }
        if (p.kind === 'nullable-integer' && p.mask[j]) { mask[o + j] = 1; masked = true; values[o + j] = NaN; continue; }
        values[o + j] = (p as { values: Float64Array }).values[j];
      }
      if (p) dtypes.add((p as { dtype: string }).dtype);
      o += nCells[i];
    });
    const dtype = (dtypes.size === 1 ? [...dtypes][0] : 'float64') as NumericDtype;
    const intLike = dtype !== 'float32' && dtype !== 'float64';
    if (masked && intLike) {
      for (let i = 0; i < total; i++) if (mask[i]) values[i] = 0;
      return { kind: 'nullable-integer', values, mask, dtype };
    }
    return { kind: 'number', values, dtype: masked ? 'float64' : dtype };
  }
  if (kind === 'bool') {
    const values = new Uint8Array(total);
    const mask = new Uint8Array(total);
    let o = 0;
    parts.forEach((p, i) => {
      for (let j = 0; j < nCells[i]; j++) {
        if (p === undefined || (p.kind === 'nullable-boolean' && p.mask[j])) mask[o + j] = 1;
        else values[o + j] = (p as { values: Uint8Array }).values[j];
      }
      o += nCells[i];
    });
    return mask.some((m) => m) ? { kind: 'nullable-boolean', values, mask } : { kind: 'boolean', values };
  }
  const text: (string | null)[] = [];
  parts.forEach((p, i) => {
    for (let j = 0; j < nCells[i]; j++) {
      if (p === undefined) text.push(null);
      else if (p.kind === 'categorical') text.push(p.codes[j] < 0 ? null : p.categories[p.codes[j]]);
      else text.push((p as { values: string[] }).values[j]);
    }
  });
  const allString = !anyMissingPart && parts.every((p) => p!.kind === 'string');
  return allString ? { kind: 'string', values: text as string[] } : toCategorical(text);
}
