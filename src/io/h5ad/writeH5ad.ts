/**
 * Write AnnData to .h5ad readable by Python anndata 0.8 and current anndata: X as CSR, obs/var
 * dataframes, layers, obsm, varm, uns, raw. Atomic: everything goes to a temporary sibling that
 * is renamed into place only when complete.
 */
import h5wasm from 'h5wasm/node';
import { ScmixError } from '../../errors.js';
import type { AnnData, Column, Csr, Frame } from '../annData.js';
import { withAtomicPath } from '../atomic.js';
import { initH5 } from './h5.js';
import { patchBools } from './patchBools.js';
import { stripHdf5Times } from './stripTimes.js';
import { writeCsr, writeDense, writeDict, writeFrame, writeUnsValue, type WriteCtx } from './writeElem.js';

export interface WriteH5adOptions {
  /** 'none' (default; fastest to read) or 'gzip' (level 4, like anndata's default gzip) */
  readonly compression?: 'none' | 'gzip';
  /** progress of writing X (the long part): nonzeros written of nnz */
  readonly onProgress?: (nnzWritten: number, nnzTotal: number) => void;
}

function colLen(c: Column): number {
  return c.kind === 'categorical' ? c.codes.length : c.values.length;
}

function checkFrame(f: Frame, n: number, what: string, path: string): void {
  if (f.index.length !== n) throw new ScmixError('SHAPE_MISMATCH', `cannot write ${path}: ${what} has ${f.index.length} rows, the matrix needs ${n}`);
  for (const [name, c] of f.columns) {
    if (colLen(c) !== n) throw new ScmixError('SHAPE_MISMATCH', `cannot write ${path}: ${what} column '${name}' has ${colLen(c)} values, expected ${n}`);
    if (c.kind === 'categorical') {
      for (const code of c.codes) {
        if (code < -1 || code >= c.categories.length) throw new ScmixError('SHAPE_MISMATCH', `cannot write ${path}: ${what} column '${name}' has code ${code} outside [-1, ${c.categories.length})`);
      }
    }
    if (c.kind === 'number' && c.dtype !== 'float32' && c.dtype !== 'float64' && c.values.some((v) => !Number.isFinite(v))) {
      throw new ScmixError('INPUT_VALUE', `cannot write ${path}: ${what} column '${name}' is ${c.dtype} but holds NaN/Infinity (use float64 or a nullable-integer column)`);
    }
    if ((c.kind === 'nullable-integer' || c.kind === 'nullable-boolean') && c.mask.length !== n) {
      throw new ScmixError('SHAPE_MISMATCH', `cannot write ${path}: ${what} column '${name}' has a mask of ${c.mask.length}, expected ${n}`);
    }
  }
}

function checkCsr(m: Csr, rows: number, cols: number, what: string, path: string): void {
  const nnz = m.data.length;
  if (m.nRows !== rows || m.nCols !== cols || m.indptr.length !== rows + 1 || m.indices.length !== nnz || m.indptr[rows] !== nnz) {
    throw new ScmixError('SHAPE_MISMATCH', `cannot write ${path}: ${what} is [${m.nRows}, ${m.nCols}] with indptr ${m.indptr.length}, ${m.indices.length} indices and ${nnz} values; expected [${rows}, ${cols}] with consistent CSR arrays`);
  }
}

/** Shapes are checked before any file is created, so bad input leaves nothing behind. */
function validate(a: AnnData, path: string): void {
  const [n, g] = [a.X.nRows, a.X.nCols];
  checkCsr(a.X, n, g, 'X', path);
  checkFrame(a.obs, n, 'obs', path);
  checkFrame(a.var, g, 'var', path);
  for (const [k, m] of a.layers) {
    if ('nRows' in m) checkCsr(m, n, g, `layer '${k}'`, path);
    else if (m.shape[0] !== n || m.shape[1] !== g || m.data.length !== n * g) throw new ScmixError('SHAPE_MISMATCH', `cannot write ${path}: dense layer '${k}' is [${m.shape}], expected [${n}, ${g}]`);
  }
  for (const [what, map, rows] of [['obsm', a.obsm, n], ['varm', a.varm, g]] as const) {
    for (const [k, d] of map) {
      if (d.shape[0] !== rows || d.data.length !== d.shape[0] * d.shape[1]) throw new ScmixError('SHAPE_MISMATCH', `cannot write ${path}: ${what} '${k}' is [${d.shape}] with ${d.data.length} values, expected ${rows} rows`);
    }
  }
  if (a.raw) {
    checkCsr(a.raw.X, n, a.raw.X.nCols, 'raw/X', path);
    checkFrame(a.raw.var, a.raw.X.nCols, 'raw/var', path);
  }
}

/**
 * Write `adata` to `path` (.h5ad). X/layers CSR: float32 data, int32 indices, int32 indptr
 * (int64 when nnz >= 2^31); obs/var columns keep their dtype; booleans are HDF5 enums as h5py
 * writes them. The file appears only when complete.
 * @throws SHAPE_MISMATCH (inconsistent AnnData, before anything is written), INPUT_VALUE (NaN in
 * an integer column, before anything is written; a '/' in a key), and filesystem errors; no partial or temporary file is left behind on failure.
 */
export async function writeH5ad(path: string, adata: AnnData, opts: WriteH5adOptions = {}): Promise<void> {
  validate(adata, path);
  await initH5();
  const ctx: WriteCtx = { gzip: opts.compression === 'gzip', pending: [] };
  await withAtomicPath(path, async (tmp) => {
    const f = new h5wasm.File(tmp, 'w');
    if (f.file_id < 0n) throw new ScmixError('INPUT_FORMAT', `cannot create ${path} (HDF5 could not create ${tmp})`);
    try {
      f.create_attribute('encoding-type', 'anndata');
      f.create_attribute('encoding-version', '0.1.0');
      writeCsr(f, 'X', adata.X, ctx, opts.onProgress);
      writeFrame(f, 'obs', adata.obs, ctx);
      writeFrame(f, 'var', adata.var, ctx);
      const layers = writeDict(f, 'layers');
      for (const [k, m] of adata.layers) {
        if ('nRows' in m) writeCsr(layers, k, m, ctx);
        else writeDense(layers, k, m, ctx);
      }
      const obsm = writeDict(f, 'obsm');
      for (const [k, d] of adata.obsm) writeDense(obsm, k, d, ctx);
      const varm = writeDict(f, 'varm');
      for (const [k, d] of adata.varm) writeDense(varm, k, d, ctx);
      writeDict(f, 'obsp');
      writeDict(f, 'varp');
      const uns = writeDict(f, 'uns');
      for (const [k, v] of Object.entries(adata.uns)) writeUnsValue(uns, k, v, ctx);
      if (adata.raw) {
        const raw = f.create_group('raw');
        raw.create_attribute('encoding-type', 'raw');
        raw.create_attribute('encoding-version', '0.1.0');
        writeCsr(raw, 'X', adata.raw.X, ctx);
        writeFrame(raw, 'var', adata.raw.var, ctx);
        writeDict(raw, 'varm');
      }
    } finally {
      f.close();
    }
    await patchBools(tmp, ctx.pending, ctx.gzip);
    // same AnnData -> same bytes: drop libhdf5's object timestamps
    stripHdf5Times(tmp);
  });
}
