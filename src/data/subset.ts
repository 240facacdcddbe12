/**
 * Row (cell) and column (gene) subsetting of CSR matrices and whole AnnData records.
 */
import type { AnnData, Csr, Dense } from '../io/index.js';
import { ScmixError } from '../errors.js';
import { gatherFrame } from './frameOps.js';

const newIndptr = (nRows: number, nnz: number) => (nnz >= 2 ** 31 ? new Float64Array(nRows + 1) : new Int32Array(nRows + 1));

function checkIndex(idx: ArrayLike<number>, n: number, what: string): void {
  for (let i = 0; i < idx.length; i++) {
    const v = idx[i];
    if (!Number.isInteger(v) || v < 0 || v >= n) throw new ScmixError('CONFIG_INVALID', `${what} index ${v} at position ${i} is outside 0..${n - 1}`);
  }
}

/** Rows `rows` of a CSR matrix, in the given order (repeats allowed). [R, G] */
export function subsetCsrRows(csr: Csr, rows: ArrayLike<number>): Csr {
  checkIndex(rows, csr.nRows, 'row');
  let nnz = 0;
  for (let i = 0; i < rows.length; i++) nnz += csr.indptr[rows[i] + 1] - csr.indptr[rows[i]];
  const indptr = newIndptr(rows.length, nnz);
  const indices = new Int32Array(nnz);
  const data = new Float32Array(nnz);
  let o = 0;
  for (let i = 0; i < rows.length; i++) {
    const s = csr.indptr[rows[i]], e = csr.indptr[rows[i] + 1];
    indices.set(csr.indices.subarray(s, e), o);
    data.set(csr.data.subarray(s, e), o);
    o += e - s;
    indptr[i + 1] = o;
  }
  return { nRows: rows.length, nCols: csr.nCols, indptr, indices, data };
}

/**
 * Moves every stored column c to `oldToNew[c]` (dropped where -1) in a matrix with `nNew`
 * columns, re-sorting rows whose order changed. Basis of column subsetting and gene alignment.
 */
export function remapCsrColumns(csr: Csr, oldToNew: Int32Array, nNew: number): Csr {
  let nnz = 0;
  const nAll = csr.indptr[csr.nRows];
  for (let k = 0; k < nAll; k++) if (oldToNew[csr.indices[k]] >= 0) nnz++;
  const indptr = newIndptr(csr.nRows, nnz);
  const indices = new Int32Array(nnz);
  const data = new Float32Array(nnz);
  let o = 0;
  for (let r = 0; r < csr.nRows; r++) {
    const start = o;
    let sorted = true;
    for (let k = csr.indptr[r]; k < csr.indptr[r + 1]; k++) {
      const c = oldToNew[csr.indices[k]];
      if (c < 0) continue;
      if (o > start && c <= indices[o - 1]) sorted = false;
      indices[o] = c;
      data[o] = csr.data[k];
      o++;
    }
    if (!sorted) {
      const order = Array.from({ length: o - start }, (_, i) => start + i).sort((a, b) => indices[a] - indices[b]);
      const ii = order.map((k) => indices[k]), dd = order.map((k) => data[k]);
      for (let i = 0; i < ii.length; i++) { indices[start + i] = ii[i]; data[start + i] = dd[i]; }
    }
    indptr[r + 1] = o;
  }
  return { nRows: csr.nRows, nCols: nNew, indptr, indices, data };
}

/** Columns `cols` of a CSR matrix, in the given order (no repeats). [N, C] */
export function subsetCsrCols(csr: Csr, cols: ArrayLike<number>): Csr {
  checkIndex(cols, csr.nCols, 'column');
  const map = new Int32Array(csr.nCols).fill(-1);
  for (let i = 0; i < cols.length; i++) {
    if (map[cols[i]] >= 0) throw new ScmixError('CONFIG_INVALID', `column ${cols[i]} selected twice; column subsets must not repeat`);
    map[cols[i]] = i;
  }
  return remapCsrColumns(csr, map, cols.length);
}

function denseRows(d: Dense, rows: ArrayLike<number>): Dense {
  const w = d.shape[1];
  const out = d.data instanceof Float64Array ? new Float64Array(rows.length * w) : new Float32Array(rows.length * w);
  for (let i = 0; i < rows.length; i++) out.set(d.data.subarray(rows[i] * w, rows[i] * w + w), i * w);
  return { shape: [rows.length, w], data: out };
}

/** Dense columns with -1 = zero column. */
export function denseCols(d: Dense, src: ArrayLike<number>): Dense {
  const [n, w] = d.shape;
  const out = d.data instanceof Float64Array ? new Float64Array(n * src.length) : new Float32Array(n * src.length);
  for (let r = 0; r < n; r++) for (let j = 0; j < src.length; j++) if (src[j] >= 0) out[r * src.length + j] = d.data[r * w + src[j]];
  return { shape: [n, src.length], data: out };
}

const isCsr = (m: Csr | Dense): m is Csr => (m as Csr).indptr !== undefined;

/**
 * Cells `rows` of an AnnData (X, layers, obs, obsm, raw.X), in the given order. var, varm and uns
 * are shared with the input.
 * @throws CONFIG_INVALID for an index out of range.
 */
export function subsetRows(adata: AnnData, rows: ArrayLike<number>): AnnData {
  const layers = new Map<string, Csr | Dense>();
  for (const [k, m] of adata.layers) layers.set(k, isCsr(m) ? subsetCsrRows(m, rows) : denseRows(m, rows));
  const obsm = new Map<string, Dense>();
  for (const [k, m] of adata.obsm) obsm.set(k, denseRows(m, rows));
  return {
    ...adata,
    X: subsetCsrRows(adata.X, rows),
    obs: gatherFrame(adata.obs, rows),
    layers,
    obsm,
    raw: adata.raw ? { X: subsetCsrRows(adata.raw.X, rows), var: adata.raw.var } : undefined,
  };
}

/**
 * Genes `cols` of an AnnData (X, layers, var, varm), in the given order. raw is kept whole, as
 * anndata does.
 * @throws CONFIG_INVALID for an index out of range or a repeated column.
 */
export function subsetCols(adata: AnnData, cols: ArrayLike<number>): AnnData {
  const layers = new Map<string, Csr | Dense>();
  for (const [k, m] of adata.layers) layers.set(k, isCsr(m) ? subsetCsrCols(m, cols) : denseCols(m, cols));
  const varm = new Map<string, Dense>();
  for (const [k, m] of adata.varm) varm.set(k, denseRows(m, cols));
  return { ...adata, X: subsetCsrCols(adata.X, cols), var: gatherFrame(adata.var, cols), layers, varm };
}

/** Indices where `mask` is non-zero. */
export function whichTrue(mask: ArrayLike<number | boolean>): Int32Array {
  let n = 0;
  for (let i = 0; i < mask.length; i++) if (mask[i]) n++;
  const out = new Int32Array(n);
  for (let i = 0, j = 0; i < mask.length; i++) if (mask[i]) out[j++] = i;
  return out;
}

export { isCsr };
