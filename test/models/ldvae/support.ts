// Small helpers shared by the LDVAE tests.
import type { Csr } from '../../../src/io/annData.js';
import type { Backend } from '../../../src/engine/backend.js';
import { createWasmBackend, referenceBackend } from '../../../src/engine/backends/index.js';

/** The backends whose LDVAE steps must both match an oracle: [name, create]. */
export const BOTH_BACKENDS = [['reference', async (): Promise<Backend> => referenceBackend()], ['wasm', async (): Promise<Backend> => createWasmBackend({ threads: 2 })]] as const;

/** Stops a backend's worker pool (the reference backend has none). */
export async function closeBackend(be: Backend): Promise<void> {
  if ('close' in be) await (be as { close(): Promise<void> }).close();
}


/** Dense row-major [R, C] -> CSR view (counts kept as float32). */
export function denseToCsr(d: ArrayLike<number>, R: number, C: number): Csr & { values: Float32Array; indptr: Int32Array } {
  const indptr = new Int32Array(R + 1);
  const idx: number[] = [];
  const val: number[] = [];
  for (let r = 0; r < R; r++) {
    for (let c = 0; c < C; c++) {
      const v = d[r * C + c];
      if (v !== 0) {
        idx.push(c);
        val.push(v);
      }
    }
    indptr[r + 1] = idx.length;
  }
  const data = Float32Array.from(val);
  return { nRows: R, nCols: C, indptr, indices: Int32Array.from(idx), data, values: data };
}

import { readSafetensors } from '../../../src/io/safetensors.js';
import type { AnnData, Frame } from '../../../src/io/annData.js';

const frame = (index: string[]): Frame => ({ index, columns: new Map() });

/** AnnData from a CSR safetensors fixture (tensors indptr/indices/data; metadata genes, cells, shape). */
export function loadCsrFixture(path: string): AnnData {
  const { tensors, metadata } = readSafetensors(path);
  const [n, g] = JSON.parse(metadata.shape) as [number, number];
  const X = { nRows: n, nCols: g, indptr: tensors.get('indptr')!.data as Int32Array, indices: tensors.get('indices')!.data as Int32Array, data: tensors.get('data')!.data as Float32Array };
  return makeAnnData(X, JSON.parse(metadata.genes) as string[], JSON.parse(metadata.cells) as string[]);
}

export function makeAnnData(X: Csr, genes: string[], cells?: string[]): AnnData {
  return { X, obs: frame(cells ?? Array.from({ length: X.nRows }, (_, i) => `c${i}`)), var: frame(genes), layers: new Map(), obsm: new Map(), varm: new Map(), uns: {} };
}

/** Per-cell Pearson r between log1p(CP10k) of the counts and log1p(pred) (pred [N,G], e.g. 1e4*px_scale). */
export function perCellCorrelation(X: Csr, pred: Float32Array): Float64Array {
  const G = X.nCols;
  const r = new Float64Array(X.nRows);
  const o = new Float64Array(G);
  for (let i = 0; i < X.nRows; i++) {
    o.fill(0);
    let tot = 0;
    for (let p = X.indptr[i]; p < X.indptr[i + 1]; p++) tot += X.data[p];
    for (let p = X.indptr[i]; p < X.indptr[i + 1]; p++) o[X.indices[p]] = Math.log1p((X.data[p] * 1e4) / tot);
    let mo = 0, mp = 0;
    for (let g = 0; g < G; g++) { mo += o[g]; mp += Math.log1p(pred[i * G + g]); }
    mo /= G; mp /= G;
    let sop = 0, soo = 0, spp = 0;
    for (let g = 0; g < G; g++) {
      const a = o[g] - mo, b = Math.log1p(pred[i * G + g]) - mp;
      sop += a * b; soo += a * a; spp += b * b;
    }
    r[i] = sop / Math.sqrt(soo * spp);
  }
  return r;
}

export const median = (a: ArrayLike<number>) => {
  const s = Array.from(a).filter(Number.isFinite).sort((x, y) => x - y);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};

/** The log1p(values) twin of a CSR view (the encoder input step() takes next to the counts). */
export function log1pView<T extends { nRows: number; nCols: number; indptr: Int32Array; indices: Int32Array; values: Float32Array }>(X: T): T {
  return { ...X, values: X.values.map((v) => Math.log1p(v)) };
}
