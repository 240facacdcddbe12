/** Small in-memory AnnData builders for tokenizer tests. */
import type { AnnData, Column, Csr } from '../../../../src/io/index.js';
import { SHARED_ROOT as sharedRoot } from '../../../support/paths.js';

/** Dense rows (cells x genes) -> CSR, keeping explicit zeros when asked. */
export function csrFromDense(rows: number[][], keepZeros = false): Csr {
  const indptr = [0];
  const indices: number[] = [];
  const data: number[] = [];
  for (const row of rows) {
    row.forEach((v, j) => {
      if (v !== 0 || keepZeros) {
        indices.push(j);
        data.push(v);
      }
    });
    indptr.push(indices.length);
  }
  return { nRows: rows.length, nCols: rows[0]?.length ?? 0, indptr: Int32Array.from(indptr), indices: Int32Array.from(indices), data: Float32Array.from(data) };
}

export function stringCol(values: string[]): Column {
  return { kind: 'string', values };
}

export function makeAnnData(x: Csr, cells: string[], geneIds: string[], obsCols: Record<string, Column> = {}): AnnData {
  return {
    X: x,
    obs: { index: cells, columns: new Map(Object.entries(obsCols)) },
    var: { index: geneIds.map((g) => `sym_${g}`), columns: new Map([['ensembl_id', stringCol(geneIds)]]) },
    layers: new Map(),
    obsm: new Map(),
    varm: new Map(),
    uns: {},
  };
}

export const V1_DIR = sharedRoot + '/data/geneformer-v1';
