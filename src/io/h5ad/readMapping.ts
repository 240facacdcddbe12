/**
 * Mapping elements of an h5ad: uns (nested dicts of scalars/arrays), obsm/varm (dense arrays),
 * layers (sparse or dense matrices).
 */
import h5wasm from 'h5wasm/node';
import type { File as H5File } from 'h5wasm/node';
import { ScmixError } from '../../errors.js';
import type { Csr, Dense, UnsValue } from '../annData.js';
import { toBool, toFloat32, toFloat64 } from './convert.js';
import { attrString, dsInfo, exists, getGroup, readAll } from './h5.js';
import { readStrings } from './readStrings.js';
import { concatCsrBlocks, matrixSource, readCscAsCsr, readRowsCsr } from './matrixSource.js';
import { parallelReadable, readCsrParallel } from './readCsrParallel.js';

/** Names of the children of a group (empty when the group is absent). */
export function childNames(file: H5File, path: string): string[] {
  if (path === '' || path === '/') return file.keys();
  if (!exists(file, path)) return [];
  const g = file.get(path);
  return g instanceof h5wasm.Group ? g.keys() : [];
}

/** A dense 1-d/2-d numeric dataset -> Dense (float64 stays float64, the rest become float32). */
export function readDense(file: H5File, fileName: string, path: string): Dense {
  const d = dsInfo(file, fileName, path);
  if (d.kind === 'string' || d.kind === 'other' || !d.shape) throw new ScmixError('INPUT_FORMAT', `${fileName}: /${path} is not a numeric array`);
  const raw = readAll(file, fileName, d);
  const shape: [number, number] = d.shape.length === 1 ? [d.shape[0], 1] : [d.shape[0], d.shape.slice(1).reduce((a, b) => a * b, 1)];
  return { shape, data: d.kind === 'float64' ? toFloat64(raw) : toFloat32(raw) };
}

/** Progress of a matrix read: rows done of total. */
export type RowProgress = (rowsDone: number, rowsTotal: number) => void;

/** Any matrix element (CSR, CSC, dense) read fully as CSR. */
export function readMatrixCsr(file: H5File, fileName: string, path: string, onProgress?: RowProgress): Csr {
  const src = matrixSource(file, fileName, path);
  if (src.info.encoding === 'csc') return readCscAsCsr(file, src);
  const [nRows, nCols] = src.info.shape;
  if (src.info.encoding === 'dense') {
    // row pieces of ~16 MB, zeros dropped, then joined
    const blocks: Csr[] = [];
    const step = Math.max(1, Math.floor(4_000_000 / Math.max(1, nCols)));
    for (let r = 0; r < nRows; r += step) {
      blocks.push(readRowsCsr(file, src, r, Math.min(nRows, r + step)));
      onProgress?.(Math.min(nRows, r + step), nRows);
    }
    return concatCsrBlocks(blocks, nCols);
  }
  // CSR: values/indices land directly in the final arrays; only indptr is assembled here.
  const nnz = src.info.nnz ?? 0;
  const into = { data: new Float32Array(nnz), indices: new Int32Array(nnz) };
  const indptr = nnz >= 2 ** 31 ? new Float64Array(nRows + 1) : new Int32Array(nRows + 1);
  const step = 50_000;
  for (let r = 0; r < nRows; r += step) {
    const b = readRowsCsr(file, src, r, Math.min(nRows, r + step), into);
    const base = indptr[r];
    for (let i = 1; i <= b.nRows; i++) indptr[r + i] = base + b.indptr[i];
    onProgress?.(r + b.nRows, nRows);
  }
  return { nRows, nCols, indptr, indices: into.indices, data: into.data };
}

/** Below this many nonzeros, worker start-up (0.2-0.45 s each: h5wasm compiles its wasm) costs more than it saves. */
const PARALLEL_MIN_NNZ = 4_000_000;

/**
 * readMatrixCsr, optionally with a large float32/int32 CSR matrix read by `threads` workers
 * (opt-in; gzip decompression is the slow part and runs in parallel there).
 */
export async function readMatrixCsrAsync(file: H5File, fileName: string, path: string, threads = 1, onProgress?: RowProgress): Promise<Csr> {
  const src = matrixSource(file, fileName, path);
  if (threads > 1 && parallelReadable(src) && (src.info.nnz ?? 0) >= PARALLEL_MIN_NNZ) {
    const m = await readCsrParallel(file, src, threads);
    onProgress?.(m.nRows, m.nRows);
    return m;
  }
  return readMatrixCsr(file, fileName, path, onProgress);
}

/** obsm/varm: dense entries only; dataframes and sparse entries are skipped (listed in `skipped`). */
export function readDenseMapping(file: H5File, fileName: string, path: string, skipped: string[]): Map<string, Dense> {
  const out = new Map<string, Dense>();
  for (const name of childNames(file, path)) {
    const p = `${path}/${name}`;
    if (file.get(p) instanceof h5wasm.Dataset && dsInfo(file, fileName, p).kind !== 'string') out.set(name, readDense(file, fileName, p));
    else skipped.push(p);
  }
  return out;
}

/** layers: sparse layers -> Csr, dense layers -> Dense. */
export function readLayers(file: H5File, fileName: string, skipped: string[]): Map<string, Csr | Dense> {
  const out = new Map<string, Csr | Dense>();
  for (const name of childNames(file, 'layers')) {
    const p = `layers/${name}`;
    if (file.get(p) instanceof h5wasm.Dataset) out.set(name, readDense(file, fileName, p));
    else {
      const enc = attrString(getGroup(file, fileName, p), 'encoding-type');
      if (enc === 'csr_matrix' || enc === 'csc_matrix') out.set(name, readMatrixCsr(file, fileName, p));
      else skipped.push(p);
    }
  }
  return out;
}

function unsDataset(file: H5File, fileName: string, path: string): UnsValue {
  const d = dsInfo(file, fileName, path);
  if (!d.shape) return null; // anndata >= 0.12 `null` encoding (H5S_NULL)
  const scalar = d.shape.length === 0;
  if (d.kind === 'string') {
    const v = readStrings(file, fileName, d);
    return scalar ? v[0] ?? '' : v;
  }
  if (d.kind === 'other') throw new ScmixError('INPUT_FORMAT', `${fileName}: /${path} has an unsupported HDF5 type`);
  const raw = readAll(file, fileName, d);
  if (d.kind === 'bool') {
    const b = Array.from(toBool(raw), (x) => x === 1);
    return scalar ? b[0] : b;
  }
  if (scalar) return toFloat64(raw)[0];
  if (d.kind === 'float32') return raw as Float32Array;
  if (d.kind === 'int32' || d.kind === 'int16' || d.kind === 'int8' || d.kind === 'uint8' || d.kind === 'uint16') return Int32Array.from(raw as ArrayLike<number>);
  return toFloat64(raw);
}

/**
 * uns as nested plain objects. Scalars -> string/number/boolean; arrays -> string[], boolean[],
 * Float32Array/Int32Array/Float64Array (multi-d arrays flattened, row-major). Dataframes, sparse
 * matrices and categoricals inside uns are skipped (listed in `skipped`).
 */
export function readUns(file: H5File, fileName: string, path: string, skipped: string[]): { [key: string]: UnsValue } {
  const out: { [key: string]: UnsValue } = {};
  for (const name of childNames(file, path)) {
    const p = `${path}/${name}`;
    const obj = file.get(p);
    if (obj instanceof h5wasm.Dataset) out[name] = unsDataset(file, fileName, p);
    else if (obj instanceof h5wasm.Group) {
      const enc = attrString(obj, 'encoding-type');
      if (enc === undefined || enc === 'dict') out[name] = readUns(file, fileName, p, skipped);
      else skipped.push(p);
    }
  }
  return out;
}

