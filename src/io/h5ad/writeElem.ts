/**
 * h5wasm writers for the anndata element types (encoding-type/-version on every element).
 * Booleans are not written here: h5wasm cannot create the HDF5 ENUM {FALSE, TRUE} that h5py and
 * anndata 0.8 use for bool, so they are queued in `pending` and written by patchBools afterwards.
 */
import type { Group } from 'h5wasm/node';
import { ScmixError } from '../../errors.js';
import type { Column, Csr, Dense, Frame, NumericDtype, UnsValue } from '../annData.js';

/** A bool dataset or attribute to be written once h5wasm has closed the file. */
export type PendingBool =
  | { readonly kind: 'dataset'; readonly group: string; readonly name: string; readonly values: Int8Array; readonly scalar: boolean; readonly encoding: string }
  | { readonly kind: 'attribute'; readonly path: string; readonly name: string; readonly value: boolean };

export interface WriteCtx {
  readonly gzip: boolean;
  readonly pending: PendingBool[];
  /** called after each written piece of a large dataset with the elements written so far */
  readonly onPiece?: (written: number, total: number) => void;
}

/** Elements per HDF5 chunk of 1-d datasets (1 MiB of float32). */
const CHUNK = 1 << 18;
/** Datasets above this many elements are written piecewise (the wasm heap holds one piece). */
const PIECE = 1 << 23;

type Typed = Int8Array | Uint8Array | Int16Array | Uint16Array | Int32Array | Uint32Array | BigInt64Array | BigUint64Array | Float32Array | Float64Array;

function setEncoding(obj: Group | ReturnType<Group['create_dataset']>, type: string, version: string): void {
  obj.create_attribute('encoding-type', type);
  obj.create_attribute('encoding-version', version);
}

function joinPath(g: Group, name: string): string {
  return g.path === '/' ? `/${name}` : `${g.path}/${name}`;
}

function checkKey(name: string, where: string): void {
  if (name === '' || name.includes('/')) throw new ScmixError('INPUT_VALUE', `cannot write key '${name}' under ${where}: h5ad keys must be non-empty and contain no '/'`);
}

/** Numeric array dataset (1-d or 2-d), chunked+gzip when asked, piecewise when large. */
export function writeArray(g: Group, name: string, data: Typed, shape: number[], ctx: WriteCtx, encoding = true): void {
  const n = data.length;
  const rowLen = shape.slice(1).reduce((a, b) => a * b, 1);
  const compress = ctx.gzip && n > 0;
  const big = n > PIECE && shape.length === 1;
  const chunks = compress || big
    ? shape.length === 1 ? [Math.max(1, Math.min(n, CHUNK))] : [Math.max(1, Math.min(shape[0], Math.floor(CHUNK / Math.max(1, rowLen)))), ...shape.slice(1)]
    : null;
  const first = big ? data.subarray(0, PIECE) : data;
  const ds = g.create_dataset({
    name, data: first, shape: big ? [PIECE] : shape, chunks,
    ...(big ? { maxshape: [null] } : {}),
    ...(compress ? { compression: 'gzip' as const, compression_opts: 4 } : {}),
  });
  if (big) {
    ds.resize([n]);
    ctx.onPiece?.(PIECE, n);
    for (let s = PIECE; s < n; s += PIECE) {
      const e = Math.min(n, s + PIECE);
      ds.write_slice([[s, e]], data.subarray(s, e));
      ctx.onPiece?.(e, n);
    }
  }
  if (encoding) setEncoding(ds, 'array', '0.2.0');
}

export function writeStrings(g: Group, name: string, values: string[]): void {
  // h5wasm writes vlen UTF-8 strings, uncompressed (compression is not allowed on vlen data).
  const ds = g.create_dataset({ name, data: values, shape: [values.length], dtype: 'S' });
  setEncoding(ds, 'string-array', '0.2.0');
}

function queueBool(g: Group, name: string, values: Uint8Array | boolean[], ctx: WriteCtx, scalar = false, encoding = 'array'): void {
  ctx.pending.push({ kind: 'dataset', group: g.path, name, values: Int8Array.from(values as ArrayLike<number>, Number), scalar, encoding });
}

export function typedFor(values: Float64Array, dtype: NumericDtype, what = 'a column'): Typed {
  if (dtype !== 'float32' && dtype !== 'float64') {
    for (const v of values) {
      if (!Number.isFinite(v)) throw new ScmixError('INPUT_VALUE', `cannot write ${what} as ${dtype}: it holds ${v} (use a float dtype or a nullable-integer column)`);
    }
  }
  switch (dtype) {
    case 'int8': return Int8Array.from(values);
    case 'uint8': return Uint8Array.from(values);
    case 'int16': return Int16Array.from(values);
    case 'uint16': return Uint16Array.from(values);
    case 'int32': return Int32Array.from(values);
    case 'uint32': return Uint32Array.from(values);
    case 'int64': return BigInt64Array.from(values, (v) => BigInt(Math.trunc(v)));
    case 'uint64': return BigUint64Array.from(values, (v) => BigInt(Math.trunc(v)));
    case 'float32': return Float32Array.from(values);
    case 'float64': return values;
  }
}

function writeColumn(g: Group, name: string, col: Column, ctx: WriteCtx): void {
  switch (col.kind) {
    case 'string': writeStrings(g, name, col.values); return;
    case 'number': writeArray(g, name, typedFor(col.values, col.dtype, `column '${name}'`), [col.values.length], ctx); return;
    case 'boolean': queueBool(g, name, col.values, ctx); return;
    case 'categorical': {
      const c = g.create_group(name);
      setEncoding(c, 'categorical', '0.2.0');
      const k = col.categories.length;
      // pandas' choice of code width
      const codes = k < 128 ? Int8Array.from(col.codes) : k < 32768 ? Int16Array.from(col.codes) : Int32Array.from(col.codes);
      writeArray(c, 'codes', codes, [codes.length], ctx);
      writeStrings(c, 'categories', col.categories);
      ctx.pending.push({ kind: 'attribute', path: c.path, name: 'ordered', value: col.ordered });
      return;
    }
    case 'nullable-integer': {
      const c = g.create_group(name);
      setEncoding(c, 'nullable-integer', '0.1.0');
      writeArray(c, 'values', typedFor(col.values.map((v, i) => (col.mask[i] ? 0 : v)), col.dtype, `column '${name}'`), [col.values.length], ctx);
      queueBool(c, 'mask', col.mask, ctx);
      return;
    }
    case 'nullable-boolean': {
      const c = g.create_group(name);
      setEncoding(c, 'nullable-boolean', '0.1.0');
      queueBool(c, 'values', col.values, ctx);
      queueBool(c, 'mask', col.mask, ctx);
      return;
    }
  }
}

/** dataframe 0.2.0: _index string-array + columns in insertion order (`column-order`). */
export function writeFrame(parent: Group, name: string, frame: Frame, ctx: WriteCtx): void {
  const g = parent.create_group(name);
  setEncoding(g, 'dataframe', '0.2.0');
  g.create_attribute('_index', '_index');
  const names = [...frame.columns.keys()];
  for (const n of names) {
    checkKey(n, joinPath(parent, name));
    if (n === '_index') throw new ScmixError('INPUT_VALUE', `cannot write a column named '_index' in ${name}: the name is reserved for the row labels`);
  }
  // h5py stores an empty column list as an empty float64 array; anndata expects that shape.
  if (names.length > 0) g.create_attribute('column-order', names, [names.length]);
  else g.create_attribute('column-order', new Float64Array(0), [0]);
  writeStrings(g, '_index', frame.index);
  for (const [n, col] of frame.columns) writeColumn(g, n, col, ctx);
}

/** csr_matrix 0.1.0: float32 data, int32 indices, int32 indptr (int64 once nnz >= 2^31). */
export function writeCsr(parent: Group, name: string, m: Csr, ctx: WriteCtx, onProgress?: (nnzWritten: number, nnzTotal: number) => void): void {
  const g = parent.create_group(name);
  setEncoding(g, 'csr_matrix', '0.1.0');
  g.create_attribute('shape', BigInt64Array.from([BigInt(m.nRows), BigInt(m.nCols)]), [2]);
  const nnz = m.data.length;
  // progress: data then indices, reported as nonzeros of the two passes together / 2
  const half = (off: number) => (w: number) => onProgress?.(Math.floor((off + w) / 2), nnz);
  writeArray(g, 'data', m.data, [nnz], { ...ctx, onPiece: half(0) }, false);
  writeArray(g, 'indices', m.indices, [nnz], { ...ctx, onPiece: half(nnz) }, false);
  onProgress?.(nnz, nnz);
  // int32 whenever it fits (what scipy/anndata write below 2^31 nonzeros)
  const indptr = m.indptr instanceof Int32Array ? m.indptr : nnz < 2 ** 31 ? Int32Array.from(m.indptr) : BigInt64Array.from(m.indptr, (v) => BigInt(v));
  writeArray(g, 'indptr', indptr, [m.nRows + 1], ctx, false);
}

export function writeDense(parent: Group, name: string, d: Dense, ctx: WriteCtx): void {
  writeArray(parent, name, d.data, [d.shape[0], d.shape[1]], ctx);
}

export function writeDict(parent: Group, name: string): Group {
  const g = parent.create_group(name);
  setEncoding(g, 'dict', '0.1.0');
  return g;
}

function isTyped(v: UnsValue): v is Float64Array | Float32Array | Int32Array {
  return v instanceof Float64Array || v instanceof Float32Array || v instanceof Int32Array;
}

/**
 * uns values: strings -> `string`, numbers -> `numeric-scalar` (int64 when integral, else float64),
 * booleans -> enum bool scalar, typed arrays -> `array`, string[] -> `string-array`,
 * number[] -> int64/float64 `array`, boolean[] -> bool `array`, objects -> `dict`.
 * null is skipped (anndata 0.8 has no null); mixed arrays are stored as their JSON text.
 */
export function writeUnsValue(g: Group, name: string, v: UnsValue, ctx: WriteCtx): void {
  checkKey(name, g.path);
  if (v === null) return;
  if (typeof v === 'string') {
    const ds = g.create_dataset({ name, data: v, shape: [] });
    setEncoding(ds, 'string', '0.2.0');
  } else if (typeof v === 'number') {
    const data = Number.isSafeInteger(v) ? BigInt64Array.of(BigInt(v)) : Float64Array.of(v);
    const ds = g.create_dataset({ name, data, shape: [] });
    setEncoding(ds, 'numeric-scalar', '0.2.0');
  } else if (typeof v === 'boolean') {
    queueBool(g, name, [v], ctx, true, 'numeric-scalar');
  } else if (isTyped(v)) {
    writeArray(g, name, v, [v.length], ctx);
  } else if (Array.isArray(v)) {
    if (v.length > 0 && v.every((x) => typeof x === 'string')) writeStrings(g, name, v as string[]);
    else if (v.length > 0 && v.every((x) => typeof x === 'boolean')) queueBool(g, name, v as boolean[], ctx);
    else if (v.every((x) => typeof x === 'number')) {
      const nums = v as number[];
      const data = nums.length > 0 && nums.every(Number.isSafeInteger) ? BigInt64Array.from(nums, BigInt) : Float64Array.from(nums);
      writeArray(g, name, data, [nums.length], ctx);
    } else {
      writeUnsValue(g, name, JSON.stringify(v), ctx);
    }
  } else {
    const d = writeDict(g, name);
    for (const [k, x] of Object.entries(v)) writeUnsValue(d, k, x, ctx);
  }
}
