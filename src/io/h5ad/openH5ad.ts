/**
 * A streaming h5ad reader: obs/var and the layout of X up front, X itself in CSR row blocks
 * (indptr slice, then data/indices slices) so files larger than memory can be processed.
 */
import type { File as H5File } from 'h5wasm/node';
import { ScmixError } from '../../errors.js';
import type { Csr, Frame } from '../annData.js';
import { exists, openH5Read } from './h5.js';
import { childNames, readMatrixCsrAsync } from './readMapping.js';
import { matrixSource, readCscAsCsr, readRowsCsr, type CsrTarget, type MatrixSource, type XInfo } from './matrixSource.js';
import { readFrame } from './readFrame.js';

/** One block of rows: rows [start, start + csr.nRows) of the matrix, indptr rebased to 0. */
export interface RowBlock {
  readonly start: number;
  readonly csr: Csr;
}

export interface H5adReader {
  readonly path: string;
  /** [n_obs, n_vars] */
  readonly shape: readonly [number, number];
  readonly obs: Frame;
  readonly var: Frame;
  /** how X is stored (encoding, dtype, nnz, index dtypes, filters, chunks) */
  readonly xInfo: XInfo;
  /** names under /layers */
  readonly layerNames: readonly string[];
  /** whether the file has a raw/ group */
  readonly hasRaw: boolean;
  /** storage layout of a layer (or of X when `layer` is undefined) */
  matrixInfo(layer?: string): XInfo;
  /**
   * X (or `layer`) in row blocks of at most `blockRows` rows, capped so one block holds at most
   * ~100 MB of values+indices. CSR: streamed from disk. Dense: row hyperslabs, zeros dropped.
   * CSC: read whole and transposed in memory on the first call (about 16 bytes per nonzero),
   * then sliced; re-save CSC files as CSR to stream them.
   * `into` (CSR sources only; arrays of nnz elements, e.g. a whole-matrix read): values and indices are read
   * straight into `into.data` / `into.indices` at their file offsets, and each block's `csr.data`
   * / `csr.indices` are views into them (one copy less, no per-block allocation).
   * @throws INPUT_FORMAT, SHAPE_MISMATCH (broken indptr, indices out of range)
   */
  rowBlocks(blockRows: number, opts?: { layer?: string; into?: CsrTarget }): Iterable<RowBlock>;
  /**
   * X (or a layer) fully in memory as CSR. With `threads` > 1 (default 1), a float32/int32 CSR
   * matrix of >= 4M nonzeros is read by that many worker threads (each starts its own h5wasm,
   * 0.2-0.45 s; worth it for large gzip files on idle cores). Its arrays are then
   * SharedArrayBuffer-backed.
   */
  readMatrix(opts?: { layer?: string; threads?: number; onProgress?: (rowsDone: number, rowsTotal: number) => void }): Promise<Csr>;
  /** the open h5wasm file (for readH5ad); do not close it directly */
  readonly file: H5File;
  close(): void;
}

/** Values + indices bytes per block (a float32 value and an int32 index per nonzero). */
const BLOCK_BYTES = 100 * 1024 * 1024;

/** Largest blockRows keeping one block under BLOCK_BYTES for this matrix. */
export function capBlockRows(info: XInfo, blockRows: number): number {
  const [nRows, nCols] = info.shape;
  const perRow = info.encoding === 'dense' ? nCols * 8 : ((info.nnz ?? 0) / Math.max(1, nRows)) * 8;
  const cap = perRow > 0 ? Math.max(1, Math.floor(BLOCK_BYTES / perRow)) : nRows;
  return Math.max(1, Math.min(Math.floor(blockRows), cap));
}

function sliceCsr(full: Csr, r0: number, r1: number): Csr {
  const a = full.indptr[r0], b = full.indptr[r1];
  const indptr = new Int32Array(r1 - r0 + 1);
  for (let i = 0; i <= r1 - r0; i++) indptr[i] = full.indptr[r0 + i] - a;
  return { nRows: r1 - r0, nCols: full.nCols, indptr, indices: full.indices.subarray(a, b), data: full.data.subarray(a, b) };
}

/**
 * Open an h5ad for streaming. Reads obs, var and the layout of X; values are read on demand.
 * @throws INPUT_MISSING (no file), INPUT_FORMAT (not HDF5, truncated, no X/obs/var, LZF or other
 * unsupported filter), SHAPE_MISMATCH (X shape disagrees with obs/var)
 */
export async function openH5ad(path: string): Promise<H5adReader> {
  const file = await openH5Read(path, 'h5ad');
  try {
    for (const el of ['obs', 'var']) {
      if (!exists(file, el)) throw new ScmixError('INPUT_FORMAT', `${path}: not an AnnData file, it has no /${el} dataframe`);
    }
    if (!exists(file, 'X')) {
      throw new ScmixError('INPUT_FORMAT', `${path}: the AnnData file has no X matrix`, {
        hint: 'scmix needs counts in X; in Python: adata.X = adata.layers["counts"]; adata.write_h5ad(path)',
      });
    }
    const obs = readFrame(file, path, 'obs');
    const vars = readFrame(file, path, 'var');
    const sources = new Map<string, MatrixSource>();
    const source = (layer?: string): MatrixSource => {
      const p = layer === undefined ? 'X' : `layers/${layer}`;
      let s = sources.get(p);
      if (!s) {
        s = matrixSource(file, path, p);
        const [r, c] = s.info.shape;
        if (r !== obs.index.length || c !== vars.index.length) {
          throw new ScmixError('SHAPE_MISMATCH', `${path}: /${p} has shape [${r}, ${c}] but obs has ${obs.index.length} rows and var ${vars.index.length}`);
        }
        sources.set(p, s);
      }
      return s;
    };
    const x = source();
    const cscCache = new Map<string, Csr>();
    let closed = false;
    const reader: H5adReader = {
      path, file, obs, var: vars, shape: x.info.shape, xInfo: x.info,
      layerNames: childNames(file, 'layers'),
      hasRaw: exists(file, 'raw'),
      matrixInfo: (layer) => source(layer).info,
      *rowBlocks(blockRows, opts = {}) {
        if (closed) throw new ScmixError('INTERNAL', `${path}: reader used after close()`);
        const src = source(opts.layer);
        const [nRows] = src.info.shape;
        const step = capBlockRows(src.info, blockRows);
        const into = opts.into;
        if (into && (src.info.encoding !== 'csr' || into.data.length !== src.info.nnz || into.indices.length !== src.info.nnz)) {
          throw new ScmixError('SHAPE_MISMATCH', `${path}: rowBlocks 'into' needs a CSR matrix and arrays of its ${src.info.nnz ?? '?'} nonzeros (${src.path} is ${src.info.encoding})`);
        }
        if (src.info.encoding === 'csc') {
          let full = cscCache.get(src.path);
          if (!full) { full = readCscAsCsr(file, src); cscCache.set(src.path, full); }
          for (let r = 0; r < nRows; r += step) yield { start: r, csr: sliceCsr(full, r, Math.min(nRows, r + step)) };
          return;
        }
        for (let r = 0; r < nRows; r += step) yield { start: r, csr: readRowsCsr(file, src, r, Math.min(nRows, r + step), into) };
      },
      readMatrix: async (opts = {}) => readMatrixCsrAsync(file, path, source(opts.layer).path, opts.threads, opts.onProgress),
      close() {
        if (!closed) { closed = true; cscCache.clear(); file.close(); }
      },
    };
    return reader;
  } catch (e) {
    file.close();
    throw e;
  }
}
