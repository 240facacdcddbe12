// Tiny AnnData builders for hand-computed tests.
import type { AnnData, Column, Csr } from '../../src/io/annData.js';

/** CSR from a dense row-major array of rows. */
export function csrOf(rows: number[][]): Csr {
  const nCols = rows[0]?.length ?? 0;
  const indptr = new Int32Array(rows.length + 1);
  const idx: number[] = [], val: number[] = [];
  rows.forEach((r, i) => {
    r.forEach((v, j) => { if (v !== 0) { idx.push(j); val.push(v); } });
    indptr[i + 1] = idx.length;
  });
  return { nRows: rows.length, nCols, indptr, indices: Int32Array.from(idx), data: Float32Array.from(val) };
}

export function denseOf(X: Csr): number[][] {
  const out = Array.from({ length: X.nRows }, () => new Array<number>(X.nCols).fill(0));
  for (let r = 0; r < X.nRows; r++) for (let k = X.indptr[r]; k < X.indptr[r + 1]; k++) out[r][X.indices[k]] = X.data[k];
  return out;
}

export function toy(rows: number[][], genes: string[], cells?: string[], obs: [string, Column][] = [], vars: [string, Column][] = []): AnnData {
  return {
    X: csrOf(rows),
    obs: { index: cells ?? rows.map((_, i) => `c${i}`), columns: new Map(obs) },
    var: { index: genes, columns: new Map(vars) },
    layers: new Map(),
    obsm: new Map(),
    varm: new Map(),
    uns: {},
  };
}

export const str = (values: string[]): Column => ({ kind: 'string', values });
export const num = (values: number[], dtype: 'int64' | 'float64' = 'float64'): Column => ({ kind: 'number', values: Float64Array.from(values), dtype });
export const cat = (values: (string | null)[]): Column => {
  const cats = [...new Set(values.filter((v): v is string => v !== null))].sort();
  return { kind: 'categorical', codes: Int32Array.from(values, (v) => (v === null ? -1 : cats.indexOf(v))), categories: cats, ordered: false };
};
