/**
 * Cell QC exactly as the study computes it: total counts and mitochondrial fraction on X
 * (symbols starting with `MT-`), keep total > 1000 and mito < 0.1 (strict), or the same rule on
 * author obs columns (Perturb-seq `UMI_count`/`mitopercent`, Joung `n_counts`/`percent_mito`).
 */
import { z } from 'zod';
import type { AnnData, Column, Csr, Frame } from '../io/index.js';
import { ScmixError } from '../errors.js';
import { cellNumber, columnType } from './frameOps.js';
import { subsetRows, whichTrue } from './subset.js';

/** var columns searched for gene symbols when none is named (then the var index). */
export const SYMBOL_COLUMNS = ['feature_name', 'gene_symbols', 'gene_symbol', 'Gene', 'gene_name', 'symbol'] as const;

export interface QcMetrics {
  /** Σ_g X[n, g], float64 [N] */
  readonly totalCounts: Float64Array;
  /** genes with X > 0 [N] */
  readonly nGenes: Int32Array;
  /** Σ over mito genes [N] */
  readonly mitoCounts: Float64Array;
  /** mitoCounts / totalCounts (NaN for an empty cell) [N] */
  readonly mitoFraction: Float64Array;
  /** how many genes matched the mito prefix */
  readonly nMitoGenes: number;
  /** where the symbols came from: a var column name or 'index' */
  readonly symbolSource: string;
}

export const QcMetricsOptions = z
  .object({
    symbolColumn: z.string().optional().describe(`var column with gene symbols; default: the first of ${SYMBOL_COLUMNS.join(', ')} that exists, else the var index; '_index' forces the var index`),
    mitoPrefix: z.string().default('MT-').describe('symbols starting with this (case-sensitive) are mitochondrial'),
  })
  .strict();
export type QcMetricsOptions = z.input<typeof QcMetricsOptions>;

function listColumns(cols: Map<string, Column>): string {
  return cols.size ? [...cols].map(([k, c]) => `${k} (${columnType(c)})`).join(', ') : '(none)';
}

/** The gene symbols used for the mito mask and where they came from ('_index' = the var index). */
export function geneSymbols(vars: Frame, symbolColumn?: string): { symbols: string[]; source: string } {
  if (symbolColumn === '_index') return { symbols: vars.index, source: 'index' };
  const name = symbolColumn ?? SYMBOL_COLUMNS.find((c) => vars.columns.has(c));
  if (name === undefined) return { symbols: vars.index, source: 'index' };
  const col = vars.columns.get(name);
  if (!col) throw new ScmixError('CONFIG_INVALID', `var has no column "${name}" for gene symbols; var columns: ${listColumns(vars.columns)}`);
  if (col.kind === 'string') return { symbols: col.values, source: name };
  if (col.kind === 'categorical') return { symbols: Array.from(col.codes, (c) => (c < 0 ? '' : col.categories[c])), source: name };
  throw new ScmixError('CONFIG_INVALID', `var column "${name}" holds ${columnType(col)} values, not gene symbols`);
}

/**
 * Per-cell QC metrics on X. Sums in float64 (exact for integer counts).
 * @throws CONFIG_INVALID when `symbolColumn` is absent or not text.
 */
export function qcMetrics(adata: AnnData, options: QcMetricsOptions = {}): QcMetrics {
  const { mask, nMito, source } = mitoMask(adata.var, options);
  return { ...qcOfCsr(adata.X, mask), nMitoGenes: nMito, symbolSource: source };
}

/** 1 for mitochondrial genes [G], from the symbols {@link geneSymbols} picks. */
export function mitoMask(vars: Frame, options: QcMetricsOptions = {}): { mask: Uint8Array; nMito: number; source: string } {
  const opts = QcMetricsOptions.parse(options);
  const { symbols, source } = geneSymbols(vars, opts.symbolColumn);
  const mask = new Uint8Array(symbols.length);
  let nMito = 0;
  symbols.forEach((s, g) => { if (s.startsWith(opts.mitoPrefix)) { mask[g] = 1; nMito++; } });
  return { mask, nMito, source };
}

/** Per-cell totals, detected genes and mito counts/fraction of one CSR block [N, G]. */
export function qcOfCsr(X: Csr, mito: Uint8Array): Omit<QcMetrics, 'nMitoGenes' | 'symbolSource'> {
  const totalCounts = new Float64Array(X.nRows);
  const mitoCounts = new Float64Array(X.nRows);
  const nGenes = new Int32Array(X.nRows);
  const mitoFraction = new Float64Array(X.nRows);
  for (let r = 0; r < X.nRows; r++) {
    let t = 0, m = 0, g = 0;
    for (let k = X.indptr[r]; k < X.indptr[r + 1]; k++) {
      const v = X.data[k];
      t += v;
      if (mito[X.indices[k]]) m += v;
      if (v > 0) g++;
    }
    totalCounts[r] = t;
    mitoCounts[r] = m;
    nGenes[r] = g;
    mitoFraction[r] = t === 0 ? NaN : m / t;
  }
  return { totalCounts, nGenes, mitoCounts, mitoFraction };
}

export const QcConfig = z
  .object({
    mode: z.enum(['computed', 'obs']).default('computed').describe("'computed': metrics from X; 'obs': the author's obs columns"),
    minTotal: z.number().default(1000).describe('keep cells with total counts > minTotal (strict)'),
    maxMito: z.number().default(0.1).describe('keep cells with mito fraction < maxMito (strict)'),
    symbolColumn: z.string().optional().describe('computed mode: var column with gene symbols'),
    mitoPrefix: z.string().default('MT-').describe('computed mode: mitochondrial symbol prefix'),
    totalColumn: z.string().optional().describe("obs mode: column with total counts (e.g. 'UMI_count', 'n_counts')"),
    mitoColumn: z.string().optional().describe("obs mode: column with the mito fraction (e.g. 'mitopercent', 'percent_mito'); compared as is"),
  })
  .strict();
export type QcConfig = z.input<typeof QcConfig>;

export interface QcResult {
  readonly adata: AnnData;
  /** 1 = kept [N] */
  readonly keep: Uint8Array;
  readonly nKept: number;
  readonly nCells: number;
  /** computed mode only */
  readonly metrics?: QcMetrics;
}

/**
 * Applies the QC rule: keep total > minTotal AND mito < maxMito. A NaN (empty cell, missing obs
 * value) fails both comparisons, so such cells are dropped.
 * @throws CONFIG_INVALID for an obs-mode column that is absent (listing the available ones) or
 *   not numeric.
 */
export function applyQc(adata: AnnData, config: QcConfig = {}): QcResult {
  const cfg = QcConfig.parse(config);
  const n = adata.X.nRows;
  let total: ArrayLike<number>, mito: ArrayLike<number>, metrics: QcMetrics | undefined;
  if (cfg.mode === 'computed') {
    metrics = qcMetrics(adata, { symbolColumn: cfg.symbolColumn, mitoPrefix: cfg.mitoPrefix });
    total = metrics.totalCounts;
    mito = metrics.mitoFraction;
  } else {
    const get = (name: string | undefined, what: string) => {
      if (!name) throw new ScmixError('CONFIG_INVALID', `QC mode 'obs' needs ${what}; obs columns: ${listColumns(adata.obs.columns)}`);
      const col = adata.obs.columns.get(name);
      if (!col) throw new ScmixError('CONFIG_INVALID', `QC column "${name}" is not in obs; obs columns: ${listColumns(adata.obs.columns)}`);
      if (col.kind === 'string' || col.kind === 'categorical') throw new ScmixError('CONFIG_INVALID', `QC column "${name}" is ${columnType(col)}, not numeric`);
      return Float64Array.from({ length: n }, (_, i) => cellNumber(col, i));
    };
    total = get(cfg.totalColumn, 'totalColumn (e.g. UMI_count)');
    mito = get(cfg.mitoColumn, 'mitoColumn (e.g. mitopercent)');
  }
  const keep = new Uint8Array(n);
  for (let i = 0; i < n; i++) keep[i] = total[i] > cfg.minTotal && mito[i] < cfg.maxMito ? 1 : 0;
  const rows = whichTrue(keep);
  return { adata: subsetRows(adata, rows), keep, nKept: rows.length, nCells: n, metrics };
}
