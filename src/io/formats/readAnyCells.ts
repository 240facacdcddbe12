/**
 * One entry point for "a cells x genes file, whatever it is": h5ad, 10x HDF5, a 10x MEX folder or
 * matrix file, or a 3CA study folder. Detection looks at folder contents and file names, then at
 * the HDF5 signature.
 */
import { closeSync, existsSync, openSync, readSync, statSync } from 'node:fs';
import { basename, join } from 'node:path';
import type { AnnData } from '../annData.js';
import { ScmixError } from '../../errors.js';
import { readMex } from './mex.js';
import { read3ca } from './read3ca.js';

export type CellsFormat = 'h5ad' | '10x-h5' | 'mex' | '3ca';
export const CELLS_FORMATS: readonly CellsFormat[] = ['h5ad', '10x-h5', 'mex', '3ca'];

export interface ReadAnyCellsOptions {
  /** skip detection */
  readonly format?: CellsFormat;
  /** progress while the main matrix streams in (MEX/3CA: compressed bytes) */
  readonly onProgress?: (done: number, total: number) => void;
}

function hasHdf5Signature(path: string): boolean {
  const fd = openSync(path, 'r');
  try {
    const b = Buffer.alloc(8);
    return readSync(fd, b, 0, 8, 0) === 8 && b.toString('latin1') === '\x89HDF\r\n\x1a\n';
  } finally {
    closeSync(fd);
  }
}

/**
 * The format of `path`: a folder with Exp_data_UMIcounts.mtx is 3CA, one with matrix.mtx[.gz] is
 * MEX; a `*matrix.mtx[.gz]`/`.mtx` file is MEX; `.h5ad` is h5ad; `.h5` is 10x HDF5; another HDF5
 * file is tried as h5ad.
 * @throws INPUT_MISSING; INPUT_FORMAT when nothing matches (listing what is accepted).
 */
export function detectCellsFormat(path: string): CellsFormat {
  if (!existsSync(path)) throw new ScmixError('INPUT_MISSING', `input not found: ${path}`);
  const accepted = 'an .h5ad file, a 10x .h5 file, a 10x MEX folder or matrix.mtx[.gz], or a 3CA study folder (Exp_data_UMIcounts.mtx, Cells.csv, Genes.txt)';
  if (statSync(path).isDirectory()) {
    if (existsSync(join(path, 'Exp_data_UMIcounts.mtx'))) return '3ca';
    if (existsSync(join(path, 'matrix.mtx.gz')) || existsSync(join(path, 'matrix.mtx'))) return 'mex';
    const sub = ['filtered_feature_bc_matrix', 'raw_feature_bc_matrix', 'filtered_gene_bc_matrices'].find((d) => existsSync(join(path, d)));
    throw new ScmixError('INPUT_FORMAT', `${path}: folder holds neither matrix.mtx[.gz] (10x MEX) nor Exp_data_UMIcounts.mtx (3CA)`, {
      hint: sub ? `did you mean ${join(path, sub)}${sub === 'filtered_gene_bc_matrices' ? '/<genome>' : ''}?` : `scmix reads ${accepted}`,
    });
  }
  const name = basename(path).toLowerCase();
  if (/\.mtx(\.gz)?$/.test(name)) return 'mex';
  if (name.endsWith('.h5ad')) return 'h5ad';
  if (name.endsWith('.h5')) return '10x-h5';
  if (/\.gct(\.gz)?$/.test(name)) {
    throw new ScmixError('INPUT_FORMAT', `${path}: a GCT file is a genes x samples bulk table, not single-cell counts`, { hint: 'read it with readGct()' });
  }
  if (hasHdf5Signature(path)) return 'h5ad';
  throw new ScmixError('INPUT_FORMAT', `${path}: unrecognised input format`, { hint: `scmix reads ${accepted}; or pass --format` });
}

/**
 * Reads cells x genes from any supported input (see {@link detectCellsFormat}).
 * @throws whatever the format's reader throws (INPUT_MISSING, INPUT_FORMAT, SHAPE_MISMATCH, ...).
 */
export async function readAnyCells(path: string, opts: ReadAnyCellsOptions = {}): Promise<AnnData> {
  const format = opts.format ?? detectCellsFormat(path);
  if (!existsSync(path)) throw new ScmixError('INPUT_MISSING', `input not found: ${path}`);
  switch (format) {
    case 'mex':
      return readMex(path, { onProgress: opts.onProgress });
    case '3ca':
      return read3ca(path, { onProgress: opts.onProgress });
    // h5wasm loads only when an HDF5 input is actually read (keeps MEX-only runs light).
    case 'h5ad':
      return await (await import('../h5ad/index.js')).readH5ad(path);
    case '10x-h5':
      return await (await import('../h5ad/index.js')).read10xH5(path);
    default:
      throw new ScmixError('CONFIG_INVALID', `unknown format "${String(format)}"; expected one of ${CELLS_FORMATS.join(', ')}`);
  }
}
