/**
 * 10x Genomics MEX folders: Cell Ranger v2 (`matrix.mtx`, `genes.tsv` with id + symbol,
 * `barcodes.tsv`) and v3+ (`matrix.mtx.gz`, `features.tsv.gz` with id, symbol, type, ...,
 * `barcodes.tsv.gz`). The matrix is genes x barcodes on disk; scmix holds cells x genes.
 */
import { existsSync, statSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import type { AnnData } from '../annData.js';
import { ScmixError } from '../../errors.js';
import { readSmallLines } from './byteStream.js';
import { readMatrixMarket } from './matrixMarket.js';
import { makeAnnData, makeUnique, stringFrame } from './makeAnnData.js';

export interface MexFiles {
  readonly matrix: string;
  readonly features: string;
  readonly barcodes: string;
  /** 'v2' when the feature file is genes.tsv, else 'v3' */
  readonly version: 'v2' | 'v3';
}

export interface ReadMexOptions {
  /** progress while the matrix streams in (compressed bytes of matrix.mtx[.gz]) */
  readonly onProgress?: (readBytes: number, totalBytes: number) => void;
}

function pick(dir: string, prefix: string, names: string[]): string | undefined {
  for (const n of names) {
    const p = join(dir, prefix + n);
    if (existsSync(p)) return p;
  }
  return undefined;
}

/**
 * Finds the three files of a MEX set. `path` is the folder, or the matrix file itself (then the
 * side files are looked up next to it with the same prefix, e.g. `KD6_1_essential_matrix.mtx.gz`).
 * @throws INPUT_MISSING naming the folder and the file that is absent.
 */
export function findMexFiles(path: string): MexFiles {
  if (!existsSync(path)) throw new ScmixError('INPUT_MISSING', `MEX input not found: ${path}`);
  let dir: string, prefix = '', matrix: string | undefined;
  if (statSync(path).isDirectory()) {
    dir = path;
    matrix = pick(dir, '', ['matrix.mtx.gz', 'matrix.mtx']);
  } else {
    dir = dirname(path);
    matrix = path;
    const m = /^(.*)matrix\.mtx(\.gz)?$/.exec(basename(path));
    prefix = m ? m[1] : '';
  }
  if (!matrix) throw new ScmixError('INPUT_MISSING', `${dir}: no matrix.mtx or matrix.mtx.gz in this folder`, { hint: 'point at a 10x MEX folder (filtered_feature_bc_matrix/) or at the matrix file' });
  const features = pick(dir, prefix, ['features.tsv.gz', 'features.tsv', 'genes.tsv.gz', 'genes.tsv']);
  if (!features) throw new ScmixError('INPUT_MISSING', `${dir}: no ${prefix}features.tsv[.gz] or ${prefix}genes.tsv next to ${basename(matrix)}`);
  const barcodes = pick(dir, prefix, ['barcodes.tsv.gz', 'barcodes.tsv']);
  if (!barcodes) throw new ScmixError('INPUT_MISSING', `${dir}: no ${prefix}barcodes.tsv[.gz] next to ${basename(matrix)}`);
  return { matrix, features, barcodes, version: basename(features).startsWith(prefix + 'genes') ? 'v2' : 'v3' };
}

/**
 * Reads a 10x MEX folder (or matrix file) into AnnData, cells x genes, f32 CSR.
 * - obs index: barcodes as written (no columns).
 * - var index: feature id (column 1; made unique anndata-style if repeated), columns
 *   `gene_symbols` (column 2) and, for v3, `feature_types` (column 3); any further columns are
 *   kept as `feature_col4`, `feature_col5`, ...
 * - uns.scmix_source: `{ format: 'mex', version, matrix }`.
 * @throws INPUT_MISSING for an absent folder/file; INPUT_FORMAT for a bad header, truncated gzip,
 *   a bad feature line or an index out of range; SHAPE_MISMATCH when barcodes/features counts
 *   differ from the matrix size line. Each names the file.
 */
export async function readMex(path: string, opts: ReadMexOptions = {}): Promise<AnnData> {
  const files = findMexFiles(path);
  // Side files first: they are small and a mismatch should fail before the long matrix read.
  const featureLines = readSmallLines(files.features, 'features file');
  const barcodes = readSmallLines(files.barcodes, 'barcodes file');
  const split = featureLines.map((l) => l.split('\t'));
  const nCols = split.length > 0 ? split[0].length : 0;
  for (let i = 0; i < split.length; i++) {
    if (split[i].length < 2 || split[i].length !== nCols) {
      throw new ScmixError('INPUT_FORMAT', `${files.features}:${i + 1}: expected ${Math.max(2, nCols)} tab-separated columns (id, symbol${files.version === 'v3' ? ', type' : ''}), got ${split[i].length}`);
    }
  }
  const { csr, header } = await readMatrixMarket(files.matrix, { transpose: true, onProgress: opts.onProgress });
  if (header.nRows !== split.length) {
    throw new ScmixError('SHAPE_MISMATCH', `${files.features} has ${split.length} features but ${files.matrix} has ${header.nRows} rows (genes)`, { hint: 'the three MEX files must come from the same Cell Ranger output' });
  }
  if (header.nCols !== barcodes.length) {
    throw new ScmixError('SHAPE_MISMATCH', `${files.barcodes} has ${barcodes.length} barcodes but ${files.matrix} has ${header.nCols} columns (cells)`, { hint: 'the three MEX files must come from the same Cell Ranger output' });
  }
  const cols: [string, string[]][] = [['gene_symbols', split.map((f) => f[1])]];
  if (nCols >= 3) cols.push(['feature_types', split.map((f) => f[2])]);
  for (let c = 3; c < nCols; c++) cols.push([`feature_col${c + 1}`, split.map((f) => f[c])]);
  const varFrame = stringFrame(makeUnique(split.map((f) => f[0])), cols);
  return makeAnnData(csr, stringFrame(barcodes), varFrame, {
    scmix_source: { format: 'mex', version: files.version, matrix: files.matrix, field: header.field },
  });
}
