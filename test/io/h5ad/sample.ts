/** A small AnnData holding every column kind, layer kind, obsm, varm, uns and raw (for write tests). */
import type { AnnData, Column, Csr } from '../../../src/io/index.js';

export function sampleCsr(nRows: number, nCols: number, seed: number, density = 0.3): Csr {
  // a fixed pseudo-random pattern (32-bit LCG) is enough for layout tests
  let state = seed >>> 0;
  const rng = { uniform: (): number => ((state = (Math.imul(state, 1664525) + 1013904223) >>> 0) / 2 ** 32) };
  const indptr = new Int32Array(nRows + 1);
  const idx: number[] = [];
  const val: number[] = [];
  for (let r = 0; r < nRows; r++) {
    for (let c = 0; c < nCols; c++) {
      if (rng.uniform() < density) { idx.push(c); val.push(1 + Math.floor(rng.uniform() * 20) + (c % 3 === 0 ? 0.25 : 0)); }
    }
    indptr[r + 1] = idx.length;
  }
  return { nRows, nCols, indptr, indices: Int32Array.from(idx), data: Float32Array.from(val) };
}

export function sampleAnnData(n = 23, g = 9): AnnData {
  const X = sampleCsr(n, g, 1);
  const ids = (p: string, k: number): string[] => Array.from({ length: k }, (_, i) => `${p}${i}`);
  const obsCols = new Map<string, Column>([
    ['cell_type', { kind: 'categorical', codes: Int32Array.from({ length: n }, (_, i) => (i % 5 === 4 ? -1 : i % 3)), categories: ['T cell', 'B', 'NK é'], ordered: false }],
    ['stage', { kind: 'categorical', codes: Int32Array.from({ length: n }, (_, i) => i % 2), categories: ['early', 'late'], ordered: true }],
    ['barcode_note', { kind: 'string', values: ids('note-α', n) }],
    ['total', { kind: 'number', values: Float64Array.from({ length: n }, (_, i) => i * 1.5 + 0.1), dtype: 'float64' }],
    ['n_genes', { kind: 'number', values: Float64Array.from({ length: n }, (_, i) => i * 3), dtype: 'int64' }],
    ['frac32', { kind: 'number', values: Float64Array.from({ length: n }, (_, i) => Math.fround(i / 8)), dtype: 'float32' }],
    ['small_int', { kind: 'number', values: Float64Array.from({ length: n }, (_, i) => i % 7), dtype: 'int32' }],
    ['pass_qc', { kind: 'boolean', values: Uint8Array.from({ length: n }, (_, i) => (i % 3 === 0 ? 1 : 0)) }],
    ['maybe_int', { kind: 'nullable-integer', values: Float64Array.from({ length: n }, (_, i) => (i % 4 === 0 ? 0 : i)), mask: Uint8Array.from({ length: n }, (_, i) => (i % 4 === 0 ? 1 : 0)), dtype: 'int64' }],
    ['maybe_bool', { kind: 'nullable-boolean', values: Uint8Array.from({ length: n }, (_, i) => (i % 5 === 0 ? 0 : i % 2)), mask: Uint8Array.from({ length: n }, (_, i) => (i % 5 === 0 ? 1 : 0)) }],
  ]);
  const varCols = new Map<string, Column>([
    ['gene_symbols', { kind: 'string', values: ids('GENE-β', g) }],
    ['highly_variable', { kind: 'boolean', values: Uint8Array.from({ length: g }, (_, i) => (i % 2 === 0 ? 1 : 0)) }],
    ['mean', { kind: 'number', values: Float64Array.from({ length: g }, (_, i) => i / 3), dtype: 'float64' }],
  ]);
  return {
    X,
    obs: { index: ids('cell-', n), columns: obsCols },
    var: { index: ids('ENSG0000', g), columns: varCols },
    layers: new Map<string, Csr | { shape: [number, number]; data: Float32Array }>([
      ['counts', sampleCsr(n, g, 2)],
      ['dense', { shape: [n, g], data: Float32Array.from({ length: n * g }, (_, i) => (i % 11) / 4) }],
    ]),
    obsm: new Map([['X_ldvae', { shape: [n, 3] as [number, number], data: Float32Array.from({ length: n * 3 }, (_, i) => i / 10) }]]),
    varm: new Map([['loadings', { shape: [g, 2] as [number, number], data: Float64Array.from({ length: g * 2 }, (_, i) => i / 3) }]]),
    uns: {
      provenance: {
        tool: 'scmix', version: '0.1.0', seed: 42, lr: 0.001, deterministic: true, dropped: false,
        sources: ['pbmc3k', 'kang'], sizes: [2700, 2000], weights: [0.25, 0.75], flags: [true, false, true],
        nested: { depth: 2, note: 'é' },
      },
      hvg: Float32Array.from([1.5, 2.5]),
      ids: Int32Array.from([3, 1, 2]),
    },
    raw: { X: sampleCsr(n, g + 2, 3), var: { index: ids('RAWG', g + 2), columns: new Map() } },
  };
}

/** Edge shapes: no nonzeros, an all-missing categorical with no categories, empty uns arrays. */
export function emptyishAnnData(nRows: number): AnnData {
  const cells = Array.from({ length: nRows }, (_, i) => `c${i}`);
  return {
    X: { nRows, nCols: 2, indptr: new Int32Array(nRows + 1), indices: new Int32Array(0), data: new Float32Array(0) },
    obs: { index: cells, columns: new Map<string, Column>([
      ['allna', { kind: 'categorical', codes: new Int32Array(nRows).fill(-1), categories: [], ordered: false }],
      ['flag', { kind: 'boolean', values: new Uint8Array(nRows) }],
      ['label', { kind: 'string', values: cells.map((c) => c + '!') }],
    ]) },
    var: { index: ['g1', 'g2'], columns: new Map() },
    layers: new Map(), obsm: new Map(), varm: new Map(), uns: { empty: [], note: '' },
  };
}
