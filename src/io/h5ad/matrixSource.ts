/**
 * A matrix element of an h5ad (X, a layer, raw/X) as found on disk, and row-range reads of it
 * into CSR. CSR groups are read by slicing indptr, then data/indices; dense datasets by row
 * hyperslabs; CSC groups are transposed in memory (see transposeCsc).
 */
import type { File as H5File } from 'h5wasm/node';
import { ScmixError } from '../../errors.js';
import type { Csr, NumericDtype } from '../annData.js';
import { toFloat32, toFloat64, toInt32 } from './convert.js';
import { attr, attrString, dsInfo, exists, getGroup, isGroup, readSlab, type DsInfo } from './h5.js';

export type MatrixEncoding = 'csr' | 'csc' | 'dense';

/** What `inspect` reports about X: how it is stored, before any values are read. */
export interface XInfo {
  readonly encoding: MatrixEncoding;
  /** [n_obs, n_vars] */
  readonly shape: readonly [number, number];
  /** stored dtype of the values (they are always Float32Array in memory) */
  readonly dtype: NumericDtype;
  /** stored nonzeros; null for dense X */
  readonly nnz: number | null;
  readonly indptrDtype: NumericDtype | null;
  readonly indicesDtype: NumericDtype | null;
  /** HDF5 filter names per dataset (data, indices, indptr; or X for dense) */
  readonly filters: Record<string, string[]>;
  /** HDF5 chunk shape per dataset; null = contiguous */
  readonly chunks: Record<string, number[] | null>;
}

export interface MatrixSource {
  readonly fileName: string;
  readonly path: string;
  readonly info: XInfo;
  readonly data: DsInfo;
  readonly indices?: DsInfo;
  readonly indptr?: DsInfo;
}

function numericKind(fileName: string, d: DsInfo): NumericDtype {
  if (d.kind === 'string' || d.kind === 'other' || d.kind === 'bool') {
    throw new ScmixError('INPUT_FORMAT', `${fileName}: /${d.path} holds ${d.kind} values, expected numbers`);
  }
  return d.kind;
}

/**
 * Locate a matrix element and check its layout (encoding, shape, indptr length, nnz).
 * @throws INPUT_FORMAT (missing, unknown encoding, bad filter), SHAPE_MISMATCH (lengths disagree)
 */
export function matrixSource(file: H5File, fileName: string, path: string): MatrixSource {
  if (!exists(file, path)) throw new ScmixError('INPUT_FORMAT', `${fileName}: no /${path} matrix in the file`);
  if (!isGroup(file, path)) {
    const data = dsInfo(file, fileName, path);
    if (!data.shape || data.shape.length !== 2) {
      throw new ScmixError('INPUT_FORMAT', `${fileName}: dense /${path} must be 2-d, found shape [${data.shape ?? ''}]`);
    }
    const info: XInfo = {
      encoding: 'dense', shape: [data.shape[0], data.shape[1]], dtype: numericKind(fileName, data), nnz: null,
      indptrDtype: null, indicesDtype: null,
      filters: { [path]: data.filters.map((f) => f.name) }, chunks: { [path]: data.chunks },
    };
    return { fileName, path, info, data };
  }
  const g = getGroup(file, fileName, path);
  // anndata >= 0.7: encoding-type; older h5sparse files: h5sparse_format / h5sparse_shape.
  const enc = attrString(g, 'encoding-type') ?? attrString(g, 'h5sparse_format');
  const encoding = enc === 'csr_matrix' || enc === 'csr' ? 'csr' : enc === 'csc_matrix' || enc === 'csc' ? 'csc' : undefined;
  if (!encoding) {
    throw new ScmixError('INPUT_FORMAT', `${fileName}: /${path} has encoding '${enc ?? 'none'}', expected csr_matrix, csc_matrix or a dense array`);
  }
  const rawShape = attr(g, 'shape') ?? attr(g, 'h5sparse_shape');
  const shapeArr = rawShape && typeof rawShape === 'object' && 'length' in rawShape ? Array.from(rawShape as ArrayLike<number | bigint>, Number) : [];
  if (shapeArr.length !== 2) throw new ScmixError('INPUT_FORMAT', `${fileName}: sparse /${path} has no 2-d shape attribute`);
  return sparseSource(file, fileName, path, encoding, shapeArr[0], shapeArr[1]);
}

/**
 * A sparse group `path` with data/indices/indptr, given its encoding and [nRows, nCols].
 * (10x HDF5 stores barcodes x features as 'csr' in this sense: indptr runs over barcodes.)
 * @throws INPUT_FORMAT, SHAPE_MISMATCH
 */
export function sparseSource(file: H5File, fileName: string, path: string, encoding: 'csr' | 'csc', nRows: number, nCols: number): MatrixSource {
  const data = dsInfo(file, fileName, `${path}/data`);
  const indices = dsInfo(file, fileName, `${path}/indices`);
  const indptr = dsInfo(file, fileName, `${path}/indptr`);
  const nnz = data.shape?.[0] ?? 0;
  const nPtr = encoding === 'csr' ? nRows : nCols;
  if ((indptr.shape?.[0] ?? 0) !== nPtr + 1) {
    throw new ScmixError('SHAPE_MISMATCH', `${fileName}: /${path}/indptr has length ${indptr.shape?.[0] ?? 0}, expected ${nPtr + 1} for a ${encoding.toUpperCase()} matrix of shape [${nRows}, ${nCols}]`);
  }
  if ((indices.shape?.[0] ?? 0) !== nnz) {
    throw new ScmixError('SHAPE_MISMATCH', `${fileName}: /${path}/indices has ${indices.shape?.[0] ?? 0} entries but data has ${nnz}`);
  }
  const info: XInfo = {
    encoding, shape: [nRows, nCols], dtype: numericKind(fileName, data), nnz,
    indptrDtype: numericKind(fileName, indptr), indicesDtype: numericKind(fileName, indices),
    filters: { data: data.filters.map((f) => f.name), indices: indices.filters.map((f) => f.name), indptr: indptr.filters.map((f) => f.name) },
    chunks: { data: data.chunks, indices: indices.chunks, indptr: indptr.chunks },
  };
  return { fileName, path, info, data, indices, indptr };
}

/** Pointer slice [a, b] (inclusive end) as float64 numbers. */
export function readPtr(file: H5File, src: MatrixSource, a: number, b: number): Float64Array {
  return toFloat64(readSlab(file, src.fileName, src.indptr!, [a], [b - a + 1]));
}

function checkPtr(src: MatrixSource, ptr: Float64Array, first: number): void {
  const nnz = src.info.nnz ?? 0;
  if (first === 0 && ptr[0] !== 0) throw new ScmixError('SHAPE_MISMATCH', `${src.fileName}: /${src.path}/indptr[0] is ${ptr[0]}, expected 0`);
  for (let i = 1; i < ptr.length; i++) {
    if (!(ptr[i] >= ptr[i - 1]) || ptr[i] > nnz) {
      throw new ScmixError('SHAPE_MISMATCH', `${src.fileName}: /${src.path}/indptr is not non-decreasing within [0, ${nnz}] at position ${first + i} (value ${ptr[i]})`);
    }
  }
  if (first + ptr.length - 1 === (src.info.encoding === 'csr' ? src.info.shape[0] : src.info.shape[1]) && ptr[ptr.length - 1] !== nnz) {
    throw new ScmixError('SHAPE_MISMATCH', `${src.fileName}: /${src.path}/indptr ends at ${ptr[ptr.length - 1]} but data has ${nnz} values`);
  }
}

function outOfRange(src: MatrixSource, v: number, bound: number): ScmixError {
  return new ScmixError('SHAPE_MISMATCH', `${src.fileName}: /${src.path}/indices holds ${v}, outside [0, ${bound}) for shape [${src.info.shape}]`);
}

function checkIndices(src: MatrixSource, idx: Int32Array, bound: number): void {
  for (let i = 0; i < idx.length; i++) {
    const v = idx[i];
    if (v < 0 || v >= bound) throw outOfRange(src, v, bound);
  }
}

/**
 * One pass over a CSR block: range-check every index and sort the (index, value) pairs of any
 * row whose indices are not increasing (scipy allows unsorted rows; Cell Ranger writes them).
 */
function checkAndSortRows(src: MatrixSource, indptr: ArrayLike<number>, indices: Int32Array, data: Float32Array, bound: number): void {
  const nRows = indptr.length - 1;
  for (let r = 0; r < nRows; r++) {
    const a = indptr[r], b = indptr[r + 1];
    if (a === b) continue;
    // increasing rows only need their ends range-checked
    let sorted = true;
    for (let k = a + 1; k < b; k++) if (indices[k] <= indices[k - 1]) { sorted = false; break; }
    if (!sorted) {
      for (let k = a; k < b; k++) if (indices[k] < 0 || indices[k] >= bound) throw outOfRange(src, indices[k], bound);
      sortRow(indices, data, a, b);
    } else if (indices[a] < 0 || indices[b - 1] >= bound) {
      throw outOfRange(src, indices[a] < 0 ? indices[a] : indices[b - 1], bound);
    }
  }
}

/** Whole-matrix checks for a CSR read elsewhere: indptr (file values) and every row. */
export function checkCsrRows(src: MatrixSource, ptr: Float64Array, indices: Int32Array, data: Float32Array): void {
  checkPtr(src, ptr, 0);
  checkAndSortRows(src, ptr, indices, data, src.info.shape[1]);
}

function sortRow(indices: Int32Array, data: Float32Array, a: number, b: number): void {
  const order = Array.from({ length: b - a }, (_, k) => a + k).sort((x, y) => indices[x] - indices[y]);
  const ci = order.map((k) => indices[k]);
  const cv = order.map((k) => data[k]);
  indices.set(ci, a);
  data.set(cv, a);
}

/** Destination arrays for a whole matrix: blocks are read straight into them at their offsets. */
export interface CsrTarget {
  readonly data: Float32Array;
  readonly indices: Int32Array;
}

/**
 * Rows [r0, r1) of a CSR or dense source as a CSR block (indptr rebased to 0). With `into`
 * (CSR only), values/indices are read into `into` at their file offsets and returned as views.
 * @throws SHAPE_MISMATCH on a broken indptr or out-of-range indices
 */
export function readRowsCsr(file: H5File, src: MatrixSource, r0: number, r1: number, into?: CsrTarget): Csr {
  const [, nCols] = src.info.shape;
  if (src.info.encoding === 'dense') {
    const vals = toFloat32(readSlab(file, src.fileName, src.data, [r0, 0], [r1 - r0, nCols]));
    return denseToCsr(vals, r1 - r0, nCols);
  }
  if (src.info.encoding !== 'csr') throw new ScmixError('INTERNAL', 'readRowsCsr on a CSC source');
  const ptr = readPtr(file, src, r0, r1);
  checkPtr(src, ptr, r0);
  const a = ptr[0], b = ptr[ptr.length - 1];
  const indptr = new Int32Array(ptr.length);
  for (let i = 0; i < ptr.length; i++) indptr[i] = ptr[i] - a;
  let data = toFloat32(readSlab(file, src.fileName, src.data, [a], [b - a], into?.data.subarray(a, b)));
  let indices = toInt32(readSlab(file, src.fileName, src.indices!, [a], [b - a], into?.indices.subarray(a, b)));
  if (into) {
    // other stored dtypes were converted into fresh arrays: copy them over, return views
    if (data.buffer !== into.data.buffer) into.data.set(data, a);
    if (indices.buffer !== into.indices.buffer) into.indices.set(indices, a);
    data = into.data.subarray(a, b);
    indices = into.indices.subarray(a, b);
  }
  checkAndSortRows(src, indptr, indices, data, nCols);
  return { nRows: r1 - r0, nCols, indptr, indices, data };
}

/** Row-major dense [R, C] -> CSR, dropping zeros. */
export function denseToCsr(vals: Float32Array, nRows: number, nCols: number): Csr {
  let nnz = 0;
  for (let i = 0; i < vals.length; i++) if (vals[i] !== 0) nnz++;
  const indptr = new Int32Array(nRows + 1);
  const indices = new Int32Array(nnz);
  const data = new Float32Array(nnz);
  let k = 0;
  for (let r = 0; r < nRows; r++) {
    const base = r * nCols;
    for (let c = 0; c < nCols; c++) {
      const v = vals[base + c];
      if (v !== 0) { indices[k] = c; data[k] = v; k++; }
    }
    indptr[r + 1] = k;
  }
  return { nRows, nCols, indptr, indices, data };
}

/**
 * A whole CSC source read (in pieces) and transposed to CSR by a counting sort:
 * memory about 2 x nnz x 8 bytes. Row indices come out sorted.
 */
export function readCscAsCsr(file: H5File, src: MatrixSource): Csr {
  const [nRows, nCols] = src.info.shape;
  const nnz = src.info.nnz ?? 0;
  const ptr = readPtr(file, src, 0, nCols);
  checkPtr(src, ptr, 0);
  const vals = toFloat32(readSlab(file, src.fileName, src.data, [0], [nnz]));
  const rows = toInt32(readSlab(file, src.fileName, src.indices!, [0], [nnz]));
  checkIndices(src, rows, nRows);
  return cscToCsr(nRows, nCols, ptr, rows, vals);
}

/** Transpose CSC (colPtr over nCols) into CSR [nRows, nCols]. */
export function cscToCsr(nRows: number, nCols: number, colPtr: ArrayLike<number>, rows: Int32Array, vals: Float32Array): Csr {
  const nnz = rows.length;
  const big = nnz >= 2 ** 31;
  const indptr = big ? new Float64Array(nRows + 1) : new Int32Array(nRows + 1);
  for (let k = 0; k < nnz; k++) indptr[rows[k] + 1]++;
  for (let r = 0; r < nRows; r++) indptr[r + 1] += indptr[r];
  const next = Float64Array.from(indptr.subarray(0, nRows));
  const indices = new Int32Array(nnz);
  const data = new Float32Array(nnz);
  for (let c = 0; c < nCols; c++) {
    for (let k = colPtr[c]; k < colPtr[c + 1]; k++) {
      const dst = next[rows[k]]++;
      indices[dst] = c;
      data[dst] = vals[k];
    }
  }
  return { nRows, nCols, indptr, indices, data };
}

/** Concatenate CSR row blocks (same nCols) into one CSR; indptr Float64Array once nnz >= 2^31. */
export function concatCsrBlocks(blocks: Csr[], nCols: number): Csr {
  const nRows = blocks.reduce((s, b) => s + b.nRows, 0);
  const nnz = blocks.reduce((s, b) => s + b.data.length, 0);
  const indptr = nnz >= 2 ** 31 ? new Float64Array(nRows + 1) : new Int32Array(nRows + 1);
  const indices = new Int32Array(nnz);
  const data = new Float32Array(nnz);
  let r = 0, k = 0;
  for (const b of blocks) {
    for (let i = 1; i <= b.nRows; i++) indptr[r + i] = k + b.indptr[i];
    indices.set(b.indices, k);
    data.set(b.data, k);
    r += b.nRows;
    k += b.data.length;
  }
  return { nRows, nCols, indptr, indices, data };
}
