/**
 * Whole-file h5ad read into an AnnData record (X always CSR float32 in memory).
 */
import { ScmixError } from '../../errors.js';
import type { AnnData } from '../annData.js';
import { exists } from './h5.js';
import { openH5ad } from './openH5ad.js';
import { readFrame } from './readFrame.js';
import { readDenseMapping, readLayers, readMatrixCsr, readUns } from './readMapping.js';

export interface ReadH5adOptions {
  /** read /layers (default true) */
  readonly layers?: boolean;
  /** read /raw (default true) */
  readonly raw?: boolean;
  /** worker threads for reading a large CSR X (default 1 = none; see H5adReader.readMatrix) */
  readonly threads?: number;
  /** progress of reading X: rows read of n_obs (the long part of a big file) */
  readonly onProgress?: (rowsDone: number, rowsTotal: number) => void;
  /** called once with the element paths scmix skipped (obsm dataframes, uns dataframes, ...) */
  readonly onSkipped?: (paths: string[]) => void;
}

/**
 * Read an h5ad written by anndata (0.7 and later) or scmix.
 * X may be CSR, CSC or dense, of any integer or float dtype (values become Float32Array; the
 * stored dtype is in `openH5ad(path).xInfo`). obs/var columns: categorical, string, numeric,
 * boolean, nullable integer/boolean, nullable strings (as strings, missing -> '').
 * @throws INPUT_MISSING, INPUT_FORMAT (not HDF5, truncated, LZF, missing X/obs/var), SHAPE_MISMATCH
 */
export async function readH5ad(path: string, opts: ReadH5adOptions = {}): Promise<AnnData> {
  const reader = await openH5ad(path);
  try {
    const { file } = reader;
    const skipped: string[] = [];
    const X = await reader.readMatrix({ threads: opts.threads, onProgress: opts.onProgress });
    const layers = opts.layers === false ? new Map() : readLayers(file, path, skipped);
    const obsm = readDenseMapping(file, path, 'obsm', skipped);
    const varm = readDenseMapping(file, path, 'varm', skipped);
    const uns = readUns(file, path, 'uns', skipped);
    let raw: AnnData['raw'];
    if (opts.raw !== false && exists(file, 'raw/X')) {
      const rawX = readMatrixCsr(file, path, 'raw/X');
      const rawVar = readFrame(file, path, 'raw/var');
      if (rawX.nRows !== reader.shape[0] || rawX.nCols !== rawVar.index.length) {
        throw new ScmixError('SHAPE_MISMATCH', `${path}: raw/X has shape [${rawX.nRows}, ${rawX.nCols}] but obs has ${reader.shape[0]} rows and raw/var ${rawVar.index.length}`);
      }
      raw = { X: rawX, var: rawVar };
    }
    if (skipped.length > 0) opts.onSkipped?.(skipped);
    return { X, obs: reader.obs, var: reader.var, layers, obsm, varm, uns, ...(raw ? { raw } : {}) };
  } finally {
    reader.close();
  }
}
