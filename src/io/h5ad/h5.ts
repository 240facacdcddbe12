/**
 * The one door to h5wasm. Every dataset read in scmix goes through `readSlab`, which
 *  1. refuses datasets whose filters are not on the whitelist (h5wasm has no LZF/blosc/szip
 *     decoder: it would hand back uninitialised heap bytes without an exception, and an LZF
 *     string dataset aborts the whole wasm module; see shared/docs/formats.md §2.1),
 *  2. calls libhdf5's H5Dread itself and checks the status that h5wasm's own `.value`/`.slice`
 *     ignore, and
 *  3. never asks for more than MAX_READ_BYTES in one H5Dread, so the 2 GiB wasm heap
 *     (which never shrinks) stays small however large the file is.
 */
import { closeSync, existsSync, openSync, readSync, statSync } from 'node:fs';
import h5wasm from 'h5wasm/node';
import type { Dataset, File as H5File, Filter, Group, Metadata } from 'h5wasm/node';
import { ScmixError } from '../../errors.js';
import type { NumericDtype } from '../annData.js';

type H5Module = Awaited<typeof h5wasm.ready>;
let mod: H5Module | undefined;

/**
 * Initialise h5wasm once (idempotent; ~50 ms the first time). Every h5ad/10x function awaits it,
 * so callers only need it before using the synchronous parts of a reader.
 */
export async function initH5(): Promise<void> {
  if (!mod) mod = await h5wasm.ready;
}

export function h5mod(): H5Module {
  if (!mod) throw new ScmixError('INTERNAL', 'h5wasm used before initH5()');
  return mod;
}

/** Largest single H5Dread (bytes). Larger requests are split along the first dimension. */
export const MAX_READ_BYTES = 64 * 1024 * 1024;

/** HDF5 filter ids libhdf5 in h5wasm decodes: deflate, shuffle, fletcher32, scaleoffset, nbit. */
const FILTER_OK = new Set([1, 2, 3, 5, 6]);

export const RESAVE_HINT =
  'Re-save the file with gzip or without compression, e.g. in Python: ' +
  'adata = anndata.read_h5ad(path); adata.write_h5ad(path, compression="gzip")';

/** What we know about one dataset before reading it. */
export interface DsInfo {
  readonly path: string;
  /** null for an HDF5 empty (H5S_NULL) dataset */
  readonly shape: number[] | null;
  /** numeric dtype, 'bool' for the h5py enum {FALSE, TRUE}, 'string', or 'other' */
  readonly kind: NumericDtype | 'bool' | 'string' | 'other';
  readonly itemSize: number;
  readonly filters: Filter[];
  readonly chunks: number[] | null;
  readonly meta: Metadata;
}

const H5_SIGNATURE = Buffer.from([0x89, 0x48, 0x44, 0x46, 0x0d, 0x0a, 0x1a, 0x0a]);

/** HDF5 puts the superblock at 0, 512, 1024, 2048, ... (after an optional user block). */
function hasHdf5Signature(path: string): boolean {
  const size = statSync(path).size;
  const fd = openSync(path, 'r');
  try {
    const buf = Buffer.alloc(8);
    for (let off = 0; off + 8 <= size; off = off === 0 ? 512 : off * 2) {
      if (readSync(fd, buf, 0, 8, off) === 8 && buf.equals(H5_SIGNATURE)) return true;
      if (off > 1 << 20) break;
    }
    return false;
  } finally {
    closeSync(fd);
  }
}

/**
 * Open an HDF5 file for reading with errors a user can act on.
 * @throws INPUT_MISSING when the path does not exist; INPUT_FORMAT when it is a folder, not HDF5,
 * or libhdf5 cannot open it (truncated, corrupt).
 */
export async function openH5Read(path: string, what = 'h5ad'): Promise<H5File> {
  await initH5();
  if (!existsSync(path)) throw new ScmixError('INPUT_MISSING', `${what} file not found: ${path}`);
  if (statSync(path).isDirectory()) throw new ScmixError('INPUT_FORMAT', `${path} is a folder, expected an ${what} file`);
  if (!hasHdf5Signature(path)) {
    throw new ScmixError('INPUT_FORMAT', `${path} is not an HDF5 file (no HDF5 signature), so it cannot be ${what}`, {
      hint: 'Check the path; .h5ad files are written by anndata (Python) or scmix.',
    });
  }
  const m = h5mod();
  let file: H5File | undefined;
  let detail = '';
  // The throwing handler turns libhdf5's error stack into a JS exception (instead of stderr spam);
  // H5Fopen has released everything by the time the handler runs.
  m.activate_throwing_error_handler();
  try {
    file = new h5wasm.File(path, 'r');
  } catch (e) {
    detail = hdf5Reason(e);
  } finally {
    m.deactivate_throwing_error_handler();
  }
  if (!file || file.file_id < 0n) {
    throw new ScmixError('INPUT_FORMAT', `${path}: HDF5 cannot open the file, it is truncated or corrupt${detail ? ` (${detail})` : ''}`, {
      hint: 'Copy or download the file again; a partly written file cannot be read.',
    });
  }
  return file;
}

/** The most specific line of a libhdf5 error stack ("truncated file: eof = ...", ...). */
function hdf5Reason(e: unknown): string {
  const msg = e instanceof Error ? e.message : String(e);
  const lines = msg.split('\n').map((l) => l.trim()).filter((l) => /^#\d+/.test(l));
  const last = lines[lines.length - 1] ?? msg.split('\n')[0] ?? '';
  return last.replace(/^#\d+:\s*\S+\s+line\s+\d+\s+in\s+\S+\(\):\s*/, '').slice(0, 200);
}

export function dtypeOf(meta: Metadata): DsInfo['kind'] {
  if (meta.type === 0) {
    const bits = meta.size * 8;
    return `${meta.signed ? 'int' : 'uint'}${bits}` as NumericDtype;
  }
  if (meta.type === 1) return meta.size === 8 ? 'float64' : meta.size === 4 ? 'float32' : 'other';
  if (meta.type === 3) return 'string';
  if (meta.type === 8 && meta.enum_type) {
    const m = meta.enum_type.members;
    const keys = Object.keys(m).map((k) => k.toUpperCase()).sort().join(',');
    if (keys === 'FALSE,TRUE') return 'bool';
  }
  return 'other';
}

/** Whether `path` exists in the file (without libhdf5 printing errors). */
export function exists(file: H5File, path: string): boolean {
  const parts = path.split('/').filter(Boolean);
  let g: Group = file;
  for (let i = 0; i < parts.length; i++) {
    if (!g.keys().includes(parts[i])) return false;
    if (i === parts.length - 1) return true;
    const next = g.get(parts[i]);
    if (!(next instanceof h5wasm.Group)) return false;
    g = next;
  }
  return true;
}

export function isGroup(file: H5File, path: string): boolean {
  return file.get(path) instanceof h5wasm.Group;
}

export function getGroup(file: H5File, fileName: string, path: string): Group {
  const g = exists(file, path) ? file.get(path) : null;
  if (!(g instanceof h5wasm.Group)) throw new ScmixError('INPUT_FORMAT', `${fileName}: expected an HDF5 group at /${path}`);
  return g;
}

/**
 * Inspect a dataset: shape, dtype, filters. Refuses filters libhdf5-in-wasm cannot decode.
 * @throws INPUT_FORMAT naming the file, the dataset and the filter (e.g. lzf, id 32000).
 */
export function dsInfo(file: H5File, fileName: string, path: string): DsInfo {
  const ds = exists(file, path) ? file.get(path) : null;
  if (!(ds instanceof h5wasm.Dataset)) throw new ScmixError('INPUT_FORMAT', `${fileName}: expected an HDF5 dataset at /${path}`);
  const meta = ds.metadata;
  const filters = ds.filters;
  const bad = filters.filter((f) => !FILTER_OK.has(f.id));
  if (bad.length > 0) {
    const names = bad.map((f) => `${f.name || 'unknown'} (filter id ${f.id})`).join(', ');
    throw new ScmixError('INPUT_FORMAT', `${fileName}: dataset /${path} is compressed with ${names}, which scmix cannot decode`, {
      hint: RESAVE_HINT,
    });
  }
  return { path, shape: meta.shape, kind: dtypeOf(meta), itemSize: meta.size, filters, chunks: meta.chunks, meta };
}

export type NativeArray =
  | Int8Array | Uint8Array | Int16Array | Uint16Array | Int32Array | Uint32Array
  | BigInt64Array | BigUint64Array | Float32Array | Float64Array;

function nativeCtor(info: DsInfo): new (n: number) => NativeArray {
  switch (info.kind) {
    case 'int8': case 'bool': return Int8Array;
    case 'uint8': return Uint8Array;
    case 'int16': return Int16Array;
    case 'uint16': return Uint16Array;
    case 'int32': return Int32Array;
    case 'uint32': return Uint32Array;
    case 'int64': return BigInt64Array;
    case 'uint64': return BigUint64Array;
    case 'float32': return Float32Array;
    case 'float64': return Float64Array;
    default:
      throw new ScmixError('INPUT_FORMAT', `dataset /${info.path} has an unsupported type (HDF5 class ${info.meta.type}, ${info.itemSize} bytes)`);
  }
}

/**
 * Status-checked hyperslab read: `count` elements per dimension from `offset`, into a fresh typed
 * array of the stored type (row-major), or into `into` when it has that type and length.
 * Split into pieces of at most MAX_READ_BYTES.
 * @throws INPUT_FORMAT when libhdf5 reports a failure (corrupt chunk, missing filter, ...).
 */
export function readSlab(file: H5File, fileName: string, info: DsInfo, offset: number[], count: number[], into?: NativeArray): NativeArray {
  const Ctor = nativeCtor(info);
  const total = count.reduce((a, b) => a * b, 1);
  // `into`: caller-owned destination of the stored type (saves an allocation and a copy)
  const out = into && into.constructor === Ctor && into.length === total ? into : new Ctor(total);
  if (total === 0) return out;
  if (count.length === 0) return readScalar(file, fileName, info, out);
  const rowElems = count.slice(1).reduce((a, b) => a * b, 1);
  const rowBytes = rowElems * info.itemSize;
  const rowsPerPiece = Math.max(1, Math.floor(MAX_READ_BYTES / rowBytes));
  const outBytes = new Uint8Array(out.buffer, out.byteOffset, out.byteLength);
  const m = h5mod();
  const pieceRows = Math.min(rowsPerPiece, count[0]);
  const ptr = m._malloc(pieceRows * rowBytes);
  if (!ptr) throw new ScmixError('INPUT_FORMAT', `${fileName}: out of wasm memory reading /${info.path}`);
  try {
    for (let r = 0; r < count[0]; r += rowsPerPiece) {
      const n = Math.min(rowsPerPiece, count[0] - r);
      const cnt = [BigInt(n), ...count.slice(1).map(BigInt)];
      const off = [BigInt(offset[0] + r), ...offset.slice(1).map(BigInt)];
      const strides = cnt.map(() => 1n);
      const status = m.get_dataset_data(file.file_id, info.path, cnt, off, strides, BigInt(ptr));
      if (status < 0) {
        const fl = info.filters.map((f) => f.name).join(',') || 'none';
        throw new ScmixError(
          'INPUT_FORMAT',
          `${fileName}: reading /${info.path}[${offset[0] + r}:${offset[0] + r + n}] failed (HDF5 status ${status}, filters: ${fl}); the file is truncated or corrupt`,
          { hint: 'Copy or download the file again, or re-save it with anndata.' },
        );
      }
      // HEAPU8 must be fetched after the call: the heap may have grown (new ArrayBuffer).
      outBytes.set(m.HEAPU8.subarray(ptr, ptr + n * rowBytes), r * rowBytes);
    }
  } finally {
    m._free(ptr);
  }
  return out;
}

function readScalar(file: H5File, fileName: string, info: DsInfo, out: NativeArray): NativeArray {
  const m = h5mod();
  const ptr = m._malloc(Math.max(8, info.itemSize));
  try {
    const status = m.get_dataset_data(file.file_id, info.path, null, null, null, BigInt(ptr));
    if (status < 0) throw new ScmixError('INPUT_FORMAT', `${fileName}: reading scalar /${info.path} failed (HDF5 status ${status}); the file is truncated or corrupt`);
    new Uint8Array(out.buffer, out.byteOffset, out.byteLength).set(m.HEAPU8.subarray(ptr, ptr + info.itemSize));
  } finally {
    m._free(ptr);
  }
  return out;
}

/** Read a whole numeric/bool dataset (checked, pieced). */
export function readAll(file: H5File, fileName: string, info: DsInfo): NativeArray {
  if (!info.shape) return new Float64Array(0);
  return readSlab(file, fileName, info, info.shape.map(() => 0), info.shape);
}

/** A scalar or small attribute; undefined when absent. Enum bools come back as numbers. */
export function attr(obj: Group | Dataset, name: string): unknown {
  if (!Object.prototype.hasOwnProperty.call(obj.attrs, name)) return undefined;
  return obj.get_attribute(name, false);
}

export function attrString(obj: Group | Dataset, name: string): string | undefined {
  const v = attr(obj, name);
  if (typeof v === 'string') return v;
  if (Array.isArray(v) && v.length === 1 && typeof v[0] === 'string') return v[0];
  return undefined;
}
