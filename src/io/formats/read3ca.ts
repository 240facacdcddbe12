/**
 * Curated Cancer Cell Atlas (3CA) study folders, as the study's `cca_wrangle` reads them:
 * `Exp_data_UMIcounts.mtx` (MatrixMarket, genes x cells), `Cells.csv` (one row per cell, with a
 * header) and `Genes.txt` (Bischoff2021: `genes.txt`), one gene symbol per line.
 */
import { existsSync, statSync } from 'node:fs';
import { basename, join } from 'node:path';
import type { AnnData, Column } from '../annData.js';
import { ScmixError } from '../../errors.js';
import { readSmallLines } from './byteStream.js';
import { readCsvTable } from './csvTable.js';
import { readMatrixMarket } from './matrixMarket.js';
import { makeAnnData, makeUnique } from './makeAnnData.js';

export interface Read3caOptions {
  /** study label for obs.study; default: the folder name's second `_` field (Data_Galen2019_x -> Galen2019), else the folder name */
  readonly study?: string;
  readonly onProgress?: (readBytes: number, totalBytes: number) => void;
}

/** The study name the wrangling notebook derives from a folder name (`StudyDir.split('_')[1]`). */
export function studyNameFromDir(dir: string): string {
  const name = basename(dir.replace(/[\\/]+$/, ''));
  const parts = name.split('_');
  return parts.length > 1 && parts[1] !== '' ? parts[1] : name;
}

/**
 * Reads one 3CA study folder: cells x genes f32 CSR; obs = Cells.csv (index `cell_name` when that
 * column exists, else the first column; all columns kept) plus a string column `study`;
 * var index = gene symbols made unique anndata-style (`var_names_make_unique`).
 * @throws INPUT_MISSING naming the absent file; SHAPE_MISMATCH when Cells.csv rows or Genes.txt
 *   lines differ from the matrix; INPUT_FORMAT from the matrix reader.
 */
export async function read3ca(dir: string, opts: Read3caOptions = {}): Promise<AnnData> {
  if (!existsSync(dir) || !statSync(dir).isDirectory()) throw new ScmixError('INPUT_MISSING', `3CA study folder not found: ${dir}`);
  const mtx = join(dir, 'Exp_data_UMIcounts.mtx');
  if (!existsSync(mtx)) throw new ScmixError('INPUT_MISSING', `${dir}: no Exp_data_UMIcounts.mtx (not a 3CA study folder)`);
  const cellsPath = join(dir, 'Cells.csv');
  if (!existsSync(cellsPath)) throw new ScmixError('INPUT_MISSING', `${dir}: no Cells.csv next to Exp_data_UMIcounts.mtx`);
  const genesPath = ['Genes.txt', 'genes.txt'].map((n) => join(dir, n)).find((p) => existsSync(p));
  if (!genesPath) throw new ScmixError('INPUT_MISSING', `${dir}: no Genes.txt (or genes.txt) next to Exp_data_UMIcounts.mtx`);

  const genes = readSmallLines(genesPath, 'genes file').map((l) => l.split('\t')[0].trim());
  const hasCellName = readSmallLines(cellsPath, 'cells table')[0]?.split(',').some((h) => h.replace(/"/g, '').trim() === 'cell_name');
  const cells = readCsvTable(cellsPath, { allowDuplicateIndex: true, ...(hasCellName ? { indexCol: 'cell_name' } : {}) });
  const { csr, header } = await readMatrixMarket(mtx, { transpose: true, onProgress: opts.onProgress });
  if (header.nRows !== genes.length) {
    throw new ScmixError('SHAPE_MISMATCH', `${genesPath} lists ${genes.length} genes but ${mtx} has ${header.nRows} rows (genes)`);
  }
  if (header.nCols !== cells.index.length) {
    throw new ScmixError('SHAPE_MISMATCH', `${cellsPath} has ${cells.index.length} cells but ${mtx} has ${header.nCols} columns (cells)`);
  }
  const study = opts.study ?? studyNameFromDir(dir);
  const obsCols = new Map<string, Column>();
  if (hasCellName) obsCols.set('cell_name', { kind: 'string', values: cells.index.slice() });
  for (const [k, v] of cells.columns) obsCols.set(k, v);
  obsCols.set('study', { kind: 'string', values: new Array(cells.index.length).fill(study) });
  return makeAnnData(
    csr,
    { index: makeUnique(cells.index), columns: obsCols },
    { index: makeUnique(genes), columns: new Map() },
    { scmix_source: { format: '3ca', study, matrix: mtx, field: header.field } },
  );
}
