/**
 * Cell Ranger HDF5 matrices (`filtered_feature_bc_matrix.h5`, `raw_feature_bc_matrix.h5`):
 * v3+ layout `/matrix/{barcodes,data,indices,indptr,shape,features/{id,name,feature_type,genome}}`
 * and the v2 layout `/<genome>/{barcodes,data,indices,indptr,shape,genes,gene_names}`.
 * On disk the matrix is features x barcodes in CSC, i.e. indptr runs over barcodes, which is
 * exactly CSR over cells: no transpose is needed.
 */
import type { File as H5File } from 'h5wasm/node';
import { ScmixError } from '../../errors.js';
import type { AnnData, Column, Csr, Frame } from '../annData.js';
import { toFloat64 } from './convert.js';
import { dsInfo, exists, openH5Read, readAll } from './h5.js';
import { readStrings } from './readStrings.js';
import { concatCsrBlocks, readRowsCsr, sparseSource } from './matrixSource.js';
import { childNames } from './readMapping.js';

function strings(file: H5File, fileName: string, path: string): string[] {
  return readStrings(file, fileName, dsInfo(file, fileName, path));
}

function readCells(file: H5File, fileName: string, group: string): Csr {
  const shape = toFloat64(readAll(file, fileName, dsInfo(file, fileName, `${group}/shape`)));
  if (shape.length !== 2) throw new ScmixError('INPUT_FORMAT', `${fileName}: /${group}/shape should hold [features, barcodes]`);
  const [nFeatures, nBarcodes] = [shape[0], shape[1]];
  const src = sparseSource(file, fileName, group, 'csr', nBarcodes, nFeatures);
  const blocks: Csr[] = [];
  for (let r = 0; r < nBarcodes; r += 50_000) blocks.push(readRowsCsr(file, src, r, Math.min(nBarcodes, r + 50_000)));
  return concatCsrBlocks(blocks, nFeatures);
}

function stringColumn(values: string[]): Column {
  return { kind: 'string', values };
}

/**
 * Read a Cell Ranger `.h5` into AnnData: obs index = barcodes; var index = feature id (Ensembl),
 * var columns `gene_symbols`, `feature_types`, `genome` (v3) or `gene_symbols` (v2).
 * X is cells x features, float32 counts. With several v2 genome groups, the first is read.
 * @throws INPUT_MISSING, INPUT_FORMAT (not HDF5, truncated, not a 10x layout, LZF), SHAPE_MISMATCH
 */
export async function read10xH5(path: string): Promise<AnnData> {
  const file = await openH5Read(path, '10x HDF5');
  try {
    let X: Csr;
    let varFrame: Frame;
    if (exists(file, 'matrix/features')) {
      X = readCells(file, path, 'matrix');
      const f = 'matrix/features';
      const columns = new Map<string, Column>([['gene_symbols', stringColumn(strings(file, path, `${f}/name`))]]);
      if (exists(file, `${f}/feature_type`)) columns.set('feature_types', stringColumn(strings(file, path, `${f}/feature_type`)));
      if (exists(file, `${f}/genome`)) columns.set('genome', stringColumn(strings(file, path, `${f}/genome`)));
      varFrame = { index: strings(file, path, `${f}/id`), columns };
    } else {
      const genome = childNames(file, '').find((g) => exists(file, `${g}/genes`) && exists(file, `${g}/indptr`));
      if (!genome) {
        throw new ScmixError('INPUT_FORMAT', `${path}: not a Cell Ranger matrix .h5 (no /matrix/features and no /<genome>/genes group)`, {
          hint: 'For an AnnData file use the .h5ad reader; Cell Ranger writes filtered_feature_bc_matrix.h5.',
        });
      }
      X = readCells(file, path, genome);
      const symbols = exists(file, `${genome}/gene_names`) ? strings(file, path, `${genome}/gene_names`) : strings(file, path, `${genome}/genes`);
      varFrame = { index: strings(file, path, `${genome}/genes`), columns: new Map([['gene_symbols', stringColumn(symbols)]]) };
    }
    const group = exists(file, 'matrix/features') ? 'matrix' : childNames(file, '').find((g) => exists(file, `${g}/genes`))!;
    const barcodes = strings(file, path, `${group}/barcodes`);
    if (barcodes.length !== X.nRows || varFrame.index.length !== X.nCols) {
      throw new ScmixError('SHAPE_MISMATCH', `${path}: matrix is ${X.nCols} features x ${X.nRows} barcodes but the file lists ${varFrame.index.length} features and ${barcodes.length} barcodes`);
    }
    return {
      X, obs: { index: barcodes, columns: new Map() }, var: varFrame,
      layers: new Map(), obsm: new Map(), varm: new Map(), uns: {},
    };
  } finally {
    file.close();
  }
}
