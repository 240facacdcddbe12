/**
 * What `scmix inspect` reports about a cells x genes input: shape, storage, count integrality,
 * obs/var columns and a QC summary under the study's default rule. h5ad files are streamed in
 * row blocks, so this works on files larger than memory.
 */
import type { CellsFormat, Csr, Frame, AnnData } from '../io/index.js';
import { columnType } from './frameOps.js';
import { mitoMask, qcOfCsr } from './qc.js';

export interface Quantiles {
  readonly min: number; readonly q05: number; readonly q25: number; readonly median: number;
  readonly q75: number; readonly q95: number; readonly max: number; readonly mean: number;
}

export interface CellsSummary {
  readonly path: string;
  readonly format: CellsFormat;
  /** [cells, genes] */
  readonly shape: [number, number];
  readonly nnz: number;
  /** nnz / (cells * genes) */
  readonly density: number;
  /** storage of X: encoding (csr/csc/dense/matrix-market), stored dtype, index dtypes, filters */
  readonly x: Record<string, unknown>;
  readonly counts: {
    /** every stored value finite, >= 0 and whole */
    readonly integer: boolean;
    readonly min: number;
    readonly max: number;
    /** the first value that is not a count, if any */
    readonly firstBad?: { readonly cell: string; readonly gene: string; readonly value: number };
  };
  readonly obs: { name: string; type: string }[];
  readonly var: { name: string; type: string }[];
  readonly layers: string[];
  readonly qc: {
    readonly symbolSource: string;
    readonly nMitoGenes: number;
    readonly totalCounts: Quantiles;
    /** over non-empty cells */
    readonly mitoFraction: Quantiles | null;
    readonly nEmptyCells: number;
    /** cells with total > 1000 and mito < 0.1 */
    readonly passDefault: number;
  };
}

export interface DescribeOptions {
  readonly format?: CellsFormat;
  /** var column with gene symbols for the mito mask (default: auto, see qcMetrics) */
  readonly symbolColumn?: string;
  /** progress: cells done of total (h5ad) or stored bytes read (other formats) */
  readonly onProgress?: (done: number, total: number, unit: 'cells' | 'bytes') => void;
  /** h5ad: rows per streamed block (default 20000; capped by the reader at ~100 MB) */
  readonly blockRows?: number;
}

/** numpy-style (linear) quantiles of the non-NaN values; null when there are none. */
export function quantiles(values: ArrayLike<number>): Quantiles | null {
  const a = Float64Array.from(Array.prototype.filter.call(values, (v: number) => !Number.isNaN(v)) as number[]).sort();
  if (a.length === 0) return null;
  const q = (p: number) => {
    const h = (a.length - 1) * p, lo = Math.floor(h);
    return lo + 1 < a.length ? a[lo] + (h - lo) * (a[lo + 1] - a[lo]) : a[lo];
  };
  let s = 0;
  for (const v of a) s += v;
  return { min: a[0], q05: q(0.05), q25: q(0.25), median: q(0.5), q75: q(0.75), q95: q(0.95), max: a[a.length - 1], mean: s / a.length };
}

const cols = (f: Frame) => [...f.columns].map(([name, c]) => ({ name, type: columnType(c) }));

/**
 * Summarises a cells x genes file (h5ad, 10x h5, MEX, 3CA).
 * @throws what the readers throw (INPUT_MISSING, INPUT_FORMAT, SHAPE_MISMATCH, ...), and
 *   CONFIG_INVALID for an unknown symbol column.
 */
export async function describeCells(path: string, opts: DescribeOptions = {}): Promise<CellsSummary> {
  // io (and with it h5wasm) loads only when a file is described, so importing data stays light.
  const { openH5ad, readAnyCells, detectCellsFormat } = await import('../io/index.js');
  const format = opts.format ?? detectCellsFormat(path);
  let nObs: number, nVars: number, obs: Frame, vars: Frame, layers: string[], x: Record<string, unknown>;
  let blocks: Iterable<{ start: number; csr: Csr }>;
  let close = () => {};
  if (format === 'h5ad') {
    const reader = await openH5ad(path);
    close = () => reader.close();
    [nObs, nVars] = reader.shape;
    obs = reader.obs;
    vars = reader.var;
    layers = [...reader.layerNames];
    const info = reader.xInfo;
    x = { encoding: info.encoding, dtype: info.dtype, indptrDtype: info.indptrDtype, indicesDtype: info.indicesDtype, filters: info.filters };
    blocks = reader.rowBlocks(opts.blockRows ?? 20000);
  } else {
    const a: AnnData = await readAnyCells(path, { format, onProgress: (d, t) => opts.onProgress?.(d, t, 'bytes') });
    [nObs, nVars] = [a.X.nRows, a.X.nCols];
    obs = a.obs;
    vars = a.var;
    layers = [...a.layers.keys()];
    const src = a.uns.scmix_source as Record<string, unknown> | undefined;
    x = format === '10x-h5'
      ? { encoding: 'csc (10x HDF5)', inMemory: 'float32 CSR' }
      : { encoding: 'matrix-market coordinate', field: src?.field, version: src?.version, inMemory: 'float32 CSR' };
    blocks = [{ start: 0, csr: a.X }];
  }
  try {
    const { mask, nMito, source } = mitoMask(vars, { symbolColumn: opts.symbolColumn });
    const total = new Float64Array(nObs), mito = new Float64Array(nObs);
    let nnz = 0, integer = true, min = Infinity, max = -Infinity;
    let firstBad: CellsSummary['counts']['firstBad'];
    for (const { start, csr } of blocks) {
      const q = qcOfCsr(csr, mask);
      total.set(q.totalCounts, start);
      mito.set(q.mitoFraction, start);
      const m = csr.indptr[csr.nRows];
      nnz += m;
      for (let r = 0; r < csr.nRows; r++) {
        for (let k = csr.indptr[r]; k < csr.indptr[r + 1]; k++) {
          const v = csr.data[k];
          if (v < min) min = v;
          if (v > max) max = v;
          if (integer && !(Number.isInteger(v) && v >= 0)) {
            integer = false;
            firstBad = { cell: obs.index[start + r], gene: vars.index[csr.indices[k]], value: v };
          }
        }
      }
      if (format === 'h5ad') opts.onProgress?.(start + csr.nRows, nObs, 'cells');
    }
    let empty = 0, pass = 0;
    for (let i = 0; i < nObs; i++) {
      if (total[i] === 0) empty++;
      if (total[i] > 1000 && mito[i] < 0.1) pass++;
    }
    return {
      path,
      format,
      shape: [nObs, nVars],
      nnz,
      density: nObs * nVars > 0 ? nnz / (nObs * nVars) : 0,
      x,
      counts: { integer, min: nnz ? min : 0, max: nnz ? max : 0, ...(firstBad ? { firstBad } : {}) },
      obs: cols(obs),
      var: cols(vars),
      layers,
      qc: {
        symbolSource: source,
        nMitoGenes: nMito,
        totalCounts: quantiles(total) ?? { min: 0, q05: 0, q25: 0, median: 0, q75: 0, q95: 0, max: 0, mean: 0 },
        mitoFraction: quantiles(mito),
        nEmptyCells: empty,
        passDefault: pass,
      },
    };
  } finally {
    close();
  }
}
