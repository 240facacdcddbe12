import type { AnnData, Column, Csr, Frame } from '../../io/index.js';

/**
 * What the evaluation needs from an eval set, independent of where it lives: gene ids, cell ids,
 * the cell-type label per cell, and row blocks of raw counts. Built from an in-memory AnnData or
 * from a streaming h5ad reader (io openH5ad), so a 40k-cell file never has to be fully loaded.
 */
export interface EvalSource {
  name: string;
  /** file the cells come from (for provenance and error messages), if any */
  path?: string;
  nCells: number;
  genes: readonly string[];
  cells: readonly string[];
  /** obs['cell_type'] as strings; 'unknown' for every cell when the column is missing */
  cellTypes: readonly string[];
  /** false when obs has no cell_type column (reported as a warning in summary.json) */
  hasCellType: boolean;
  /** raw counts, [B, G_query] per block, in row order */
  rowBlocks(blockRows: number): Iterable<{ start: number; csr: Csr }>;
}

/** The part of io's H5adReader (docs/ARCHITECTURE.md) the evaluation uses. */
export interface RowBlockReader {
  readonly obs: Frame;
  readonly var: Frame;
  readonly shape: readonly [number, number] | readonly number[];
  rowBlocks(blockRows: number, opts?: { layer?: string }): Iterable<{ start: number; csr: Csr }>;
}

/** Column values as strings (categories resolved; missing -> 'unknown'). */
export function columnStrings(col: Column, n: number): string[] {
  switch (col.kind) {
    case 'categorical':
      return Array.from(col.codes, (c) => (c < 0 ? 'unknown' : col.categories[c]!));
    case 'string':
      return [...col.values];
    case 'number':
    case 'nullable-integer':
      return Array.from(col.values, (v) => String(v));
    default:
      return Array.from({ length: n }, (_, i) => String((col.values as Uint8Array)[i] === 1));
  }
}

function cellTypesOf(obs: Frame, n: number, key: string): { cellTypes: string[]; hasCellType: boolean } {
  const col = obs.columns.get(key);
  if (!col) return { cellTypes: new Array<string>(n).fill('unknown'), hasCellType: false };
  return { cellTypes: columnStrings(col, n), hasCellType: true };
}

/** Slice rows [a, b) of a CSR matrix (copies). */
export function sliceRows(csr: Csr, a: number, b: number): Csr {
  const p0 = Number(csr.indptr[a]);
  const p1 = Number(csr.indptr[b]);
  const indptr = new Int32Array(b - a + 1);
  for (let r = a; r <= b; r++) indptr[r - a] = Number(csr.indptr[r]) - p0;
  return { nRows: b - a, nCols: csr.nCols, indptr, indices: csr.indices.slice(p0, p1), data: csr.data.slice(p0, p1) };
}

/** An eval set held in memory. `cellTypeKey` defaults to 'cell_type'. */
export function evalSourceFromAnnData(adata: AnnData, name: string, opts: { path?: string; cellTypeKey?: string } = {}): EvalSource {
  const n = adata.X.nRows;
  const ct = cellTypesOf(adata.obs, n, opts.cellTypeKey ?? 'cell_type');
  return {
    name,
    path: opts.path,
    nCells: n,
    genes: adata.var.index,
    cells: adata.obs.index,
    ...ct,
    *rowBlocks(blockRows: number) {
      for (let s = 0; s < n; s += blockRows) yield { start: s, csr: sliceRows(adata.X, s, Math.min(n, s + blockRows)) };
    },
  };
}

/** An eval set streamed from an h5ad reader (rows are read block by block). */
export function evalSourceFromReader(reader: RowBlockReader, name: string, opts: { path?: string; cellTypeKey?: string; layer?: string } = {}): EvalSource {
  const n = Number(reader.shape[0]);
  const ct = cellTypesOf(reader.obs, n, opts.cellTypeKey ?? 'cell_type');
  return {
    name,
    path: opts.path,
    nCells: n,
    genes: reader.var.index,
    cells: reader.obs.index,
    ...ct,
    rowBlocks: (blockRows: number) => reader.rowBlocks(blockRows, opts.layer ? { layer: opts.layer } : undefined),
  };
}
