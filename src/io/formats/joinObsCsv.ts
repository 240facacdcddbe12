/**
 * Joins a metadata table onto `obs` by barcode (a left join: every cell stays, in its order).
 */
import type { AnnData, Column } from '../annData.js';
import { ScmixError } from '../../errors.js';
import { readCsvTable } from './csvTable.js';

export interface JoinObsCsvOptions {
  /** CSV column holding the barcodes; default: the first column */
  readonly key?: string;
  /** throw SHAPE_MISMATCH unless every cell has a row (default false: unmatched cells get missing values) */
  readonly requireAll?: boolean;
}

export interface JoinObsResult {
  readonly adata: AnnData;
  /** cells that found a row */
  readonly matched: number;
  /** cells without a row (their new columns are missing) */
  readonly unmatchedCells: number;
  /** table rows whose key is not a cell */
  readonly unusedRows: number;
  /** existing obs columns replaced by a table column of the same name */
  readonly replacedColumns: string[];
}

/**
 * Adds every column of the table at `csvPath` to `adata.obs`, matching `obs.index` against the
 * key column. Columns keep their inferred type when every cell matched; otherwise missing values
 * are encoded as anndata does: strings become a categorical with code -1, numbers NaN (float64),
 * booleans a nullable-boolean.
 * @throws INPUT_MISSING/INPUT_FORMAT from the table reader; CONFIG_INVALID for an unknown key
 *   column; SHAPE_MISMATCH when no barcode matches (with examples from both sides), or when
 *   `requireAll` is set and some cells have no row.
 */
export function joinObsCsv(adata: AnnData, csvPath: string, opts: JoinObsCsvOptions = {}): JoinObsResult {
  const table = readCsvTable(csvPath, opts.key !== undefined ? { indexCol: opts.key } : {});
  const rowOf = new Map<string, number>();
  table.index.forEach((k, i) => rowOf.set(k, i));
  const n = adata.obs.index.length;
  const src = new Int32Array(n);
  let matched = 0;
  const used = new Uint8Array(table.index.length);
  for (let i = 0; i < n; i++) {
    const r = rowOf.get(adata.obs.index[i]);
    src[i] = r ?? -1;
    if (r !== undefined) { matched++; used[r] = 1; }
  }
  const show = (xs: string[]) => xs.slice(0, 3).map((x) => JSON.stringify(x)).join(', ');
  if (matched === 0 && n > 0) {
    throw new ScmixError('SHAPE_MISMATCH', `${csvPath}: none of the ${table.index.length} keys matches any of the ${n} cell barcodes (table: ${show(table.index)}; cells: ${show(adata.obs.index)})`, {
      hint: 'pick the barcode column with --obs-key, and check that both sides use the same barcode form (e.g. a "-1" suffix or a sample prefix)',
    });
  }
  if (opts.requireAll && matched < n) {
    const missing = adata.obs.index.filter((_, i) => src[i] < 0);
    throw new ScmixError('SHAPE_MISMATCH', `${csvPath}: ${missing.length} of ${n} cells have no row in the table (first: ${show(missing)})`);
  }
  const complete = matched === n;
  const columns = new Map(adata.obs.columns);
  const replacedColumns: string[] = [];
  for (const [name, col] of table.columns) {
    if (columns.has(name)) replacedColumns.push(name);
    columns.set(name, gather(col, src, complete));
  }
  let unusedRows = 0;
  for (const u of used) if (!u) unusedRows++;
  return {
    adata: { ...adata, obs: { index: adata.obs.index, columns } },
    matched,
    unmatchedCells: n - matched,
    unusedRows,
    replacedColumns,
  };
}

function gather(col: Column, src: Int32Array, complete: boolean): Column {
  const n = src.length;
  switch (col.kind) {
    case 'number': {
      const v = new Float64Array(n);
      for (let i = 0; i < n; i++) v[i] = src[i] < 0 ? NaN : col.values[src[i]];
      return { kind: 'number', values: v, dtype: complete ? col.dtype : 'float64' };
    }
    case 'boolean': {
      const v = new Uint8Array(n);
      const mask = new Uint8Array(n);
      for (let i = 0; i < n; i++) {
        if (src[i] < 0) mask[i] = 1;
        else v[i] = col.values[src[i]];
      }
      return complete ? { kind: 'boolean', values: v } : { kind: 'nullable-boolean', values: v, mask };
    }
    case 'string': {
      if (complete) return { kind: 'string', values: Array.from(src, (r) => col.values[r]) };
      const cats = new Map<string, number>();
      const codes = new Int32Array(n);
      for (let i = 0; i < n; i++) {
        if (src[i] < 0) { codes[i] = -1; continue; }
        const s = col.values[src[i]];
        let c = cats.get(s);
        if (c === undefined) { c = cats.size; cats.set(s, c); }
        codes[i] = c;
      }
      // Sorted categories, as pandas builds them from strings.
      const sorted = [...cats.keys()].sort();
      const remap = new Int32Array(sorted.length);
      sorted.forEach((s, j) => (remap[cats.get(s)!] = j));
      for (let i = 0; i < n; i++) if (codes[i] >= 0) codes[i] = remap[codes[i]];
      return { kind: 'categorical', codes, categories: sorted, ordered: false };
    }
    default:
      throw new ScmixError('INTERNAL', `joinObsCsv: unexpected column kind ${col.kind}`);
  }
}
