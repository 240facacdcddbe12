/**
 * Streaming driver: cells from a row-block source (an opened h5ad, or an in-memory AnnData) ->
 * rank value encoding -> token dataset folder. Two passes when the dictionaries are computed from
 * the input itself (medians first, then tokens); one pass otherwise.
 */
import type { AnnData, Column, Csr, Frame } from '../../../io/index.js';
import { ScmixError } from '../../../errors.js';
import { createMedianAccumulator, dictionariesFromMedians, dictionaryJsonFiles } from './computeDictionaries.js';
import type { GeneformerDictionaries } from './dictionaries.js';
import { planGenes, type GenePlanStats } from './planGenes.js';
import { rankEncode } from './rankEncode.js';
import { createTokenDatasetWriter, type TokenObs } from './tokenDataset.js';
import { resolveTokenizeConfig, type TokenizeConfig } from './tokenizeConfig.js';

/** What the tokenizer needs from an input: shape, obs/var frames and CSR row blocks. */
export interface CellBlockSource {
  readonly shape: readonly [number, number] | readonly number[];
  readonly obs: Frame;
  readonly var: Frame;
  rowBlocks(blockRows: number): Iterable<{ start: number; csr: Csr }> | AsyncIterable<{ start: number; csr: Csr }>;
}

export interface TokenizeProgress {
  phase: 'qc' | 'medians' | 'tokenize';
  done: number;
  total: number;
}

export interface TokenizeOptions {
  /** loaded dictionaries, or 'compute' to derive them from this input (written to OUT/dictionaries/) */
  dictionaries: GeneformerDictionaries | 'compute';
  config?: Partial<TokenizeConfig>;
  /** provenance for the manifest and messages */
  sourcePath?: string;
  inputSha256?: string;
  overwrite?: boolean;
  onProgress?: (p: TokenizeProgress) => void;
}

/** Summary of a tokenization (also stored in manifest.json under `cells` / `genes`). */
export interface TokenizeReport {
  nCellsIn: number;
  /** cells removed by obs filter_pass != 1 */
  filteredOut: number;
  /** cells removed by minGenes */
  removedByMinGenes: number;
  kept: number;
  /** cells with no detected in-vocabulary gene */
  dropped: number;
  droppedFirst: string[];
  nTokens: number;
  genes: GenePlanStats & { geneColumn: string };
}

const GENE_COLUMN_DEFAULTS = ['ensembl_id', 'gene_ids', 'feature_id'];

/**
 * Tokenize every cell of `source` into a token dataset at `out`.
 * @throws CONFIG_INVALID for unknown obs/gene columns; GENES_MISMATCH when no gene is in the
 *   vocabulary; INPUT_VALUE for non-integer or negative counts; NOT_ENOUGH_CELLS when no cell is left
 */
export async function tokenizeCells(source: CellBlockSource, out: string, opts: TokenizeOptions): Promise<TokenizeReport> {
  const cfg = resolveTokenizeConfig(opts.config);
  const where = opts.sourcePath ?? 'input';
  const [nCells, nGenes] = source.shape;
  const geneColumn = cfg.geneColumn ?? GENE_COLUMN_DEFAULTS.find((c) => source.var.columns.has(c)) ?? '(var index)';
  const geneNames = geneColumn === '(var index)' ? source.var.index : columnStrings(source.var, geneColumn, where, 'var');
  if (geneNames.length !== nGenes) throw new ScmixError('SHAPE_MISMATCH', `${where}: var has ${geneNames.length} rows, X has ${nGenes} columns`);
  for (const c of cfg.obsColumns) {
    if (!source.obs.columns.has(c)) {
      throw new ScmixError('CONFIG_INVALID', `${where}: obs has no column '${c}'`, { hint: `obs columns: ${[...source.obs.columns.keys()].join(', ') || '(none)'}` });
    }
  }
  let keepRow = cfg.useFilterPass && source.obs.columns.has('filter_pass') ? filterPassMask(source.obs.columns.get('filter_pass')!, nCells) : undefined;
  const filteredByFlag = keepRow ? keepRow.reduce((a, k) => a + (k ? 0 : 1), 0) : 0;
  let geneMask: Uint8Array | undefined;
  let removedByMinGenes = 0;
  if (cfg.minGenes > 0 || cfg.minCells > 0) {
    // sc_foundation_evals order: cells with >= minGenes detected genes, then genes detected in
    // >= minCells of those cells (one streamed pass: a cell's verdict only needs its own row)
    const keep = keepRow ?? new Uint8Array(nCells).fill(1);
    const cellsPerGene = new Int32Array(nGenes);
    opts.onProgress?.({ phase: 'qc', done: 0, total: nCells });
    for await (const { start, csr } of source.rowBlocks(cfg.blockRows)) {
      for (let r = 0; r < csr.nRows; r++) {
        if (!keep[start + r]) continue;
        let detected = 0;
        for (let p = csr.indptr[r]; p < csr.indptr[r + 1]; p++) if (csr.data[p] > 0) detected++;
        if (detected < cfg.minGenes) {
          keep[start + r] = 0;
          removedByMinGenes++;
          continue;
        }
        for (let p = csr.indptr[r]; p < csr.indptr[r + 1]; p++) if (csr.data[p] > 0) cellsPerGene[csr.indices[p]]++;
      }
      opts.onProgress?.({ phase: 'qc', done: start + csr.nRows, total: nCells });
    }
    keepRow = keep;
    if (cfg.minCells > 0) geneMask = Uint8Array.from(cellsPerGene, (c) => (c >= cfg.minCells ? 1 : 0));
  }
  const nCountsCol = source.obs.columns.get('n_counts');

  let dicts: GeneformerDictionaries;
  const computed = opts.dictionaries === 'compute';
  if (opts.dictionaries === 'compute') {
    if (cfg.geneIdType === 'symbol') throw new ScmixError('CONFIG_INVALID', 'computed dictionaries key genes by the gene column itself; --gene-id-type symbol needs given dictionaries');
    const acc = createMedianAccumulator(geneNames);
    opts.onProgress?.({ phase: 'medians', done: 0, total: nCells });
    for await (const { start, csr } of source.rowBlocks(cfg.blockRows)) {
      acc.addBlock(keepRows(csr, keepRow, start), nCountsCol ? nCountsFor(nCountsCol, start, csr.nRows, keepRow) : undefined);
      opts.onProgress?.({ phase: 'medians', done: start + csr.nRows, total: nCells });
    }
    dicts = dictionariesFromMedians(acc.medians(), { variant: cfg.variant, source: where });
  } else {
    dicts = opts.dictionaries;
  }
  const plan = planGenes(geneNames, dicts, cfg, where, geneMask);
  const special = cfg.variant === 'v2';
  if (special && (dicts.special.cls === undefined || dicts.special.eos === undefined)) {
    throw new ScmixError('CONFIG_INVALID', `variant v2 needs <cls> and <eos> in the token dictionary (${dicts.files.tokens.file})`, {
      hint: 'use --variant v1 with V1 dictionaries',
    });
  }

  const writer = createTokenDatasetWriter(out, { vocabSize: dicts.vocabSize, specialTokens: special, overwrite: opts.overwrite });
  const obs: TokenObs = { index: [], sourceRows: [], columns: Object.fromEntries(cfg.obsColumns.map((c) => [c, []])) };
  const report: TokenizeReport = {
    nCellsIn: nCells,
    filteredOut: filteredByFlag,
    removedByMinGenes,
    kept: 0,
    dropped: 0,
    droppedFirst: [],
    nTokens: 0,
    genes: { ...plan.stats, geneColumn },
  };
  try {
    opts.onProgress?.({ phase: 'tokenize', done: 0, total: nCells });
    for await (const { start, csr } of source.rowBlocks(cfg.blockRows)) {
      const enc = rankEncode(csr, plan, {
        inputSize: cfg.inputSize,
        cls: special ? dicts.special.cls : undefined,
        eos: special ? dicts.special.eos : undefined,
        keepRow: keepRow?.subarray(start, start + csr.nRows),
        source: where,
        rowOffset: start,
      });
      const lens: number[] = [];
      for (let r = 0; r < csr.nRows; r++) {
        const row = start + r;
        if (keepRow && !keepRow[row]) continue;
        if (enc.lengths[r] === 0) {
          report.dropped++;
          if (report.droppedFirst.length < 10) report.droppedFirst.push(source.obs.index[row]);
          continue;
        }
        lens.push(enc.lengths[r]);
        obs.index.push(source.obs.index[row]);
        obs.sourceRows.push(row);
        for (const c of cfg.obsColumns) obs.columns[c].push(cellValue(source.obs.columns.get(c)!, row));
      }
      // dropped rows have length 0, so the block's ids are exactly the kept cells' ids in order
      writer.append(Int32Array.from(lens), enc.ids);
      report.kept += lens.length;
      report.nTokens += enc.ids.length;
      opts.onProgress?.({ phase: 'tokenize', done: start + csr.nRows, total: nCells });
    }
    if (report.kept === 0) {
      throw new ScmixError('NOT_ENOUGH_CELLS', `${where}: no cell has a detected in-vocabulary gene (${report.dropped} dropped, ${report.filteredOut} filtered out)`, {
        hint: 'check the gene column (Ensembl ids) and that X holds raw counts',
      });
    }
    const manifest = {
      format: 'scmix-token-dataset',
      version: 1,
      input: { path: opts.sourcePath ?? null, sha256: opts.inputSha256 ?? null, nCells, nGenes },
      dictionaries: computed
        ? { computed: true, vocabSize: dicts.vocabSize, folder: 'dictionaries/' }
        : { computed: false, vocabSize: dicts.vocabSize, tokens: dicts.files.tokens, medians: dicts.files.medians, nameToId: dicts.files.nameToId ?? null },
      encoding: { variant: cfg.variant, inputSize: cfg.inputSize, specialTokens: special, collapseDuplicates: cfg.collapseDuplicates, geneIdType: cfg.geneIdType, minGenes: cfg.minGenes, minCells: cfg.minCells, score: 'count / median (float64), ties by gene column' },
      genes: report.genes,
      cells: { in: nCells, filteredOut: report.filteredOut, removedByMinGenes, kept: report.kept, dropped: report.dropped, droppedFirst: report.droppedFirst },
      tokens: report.nTokens,
      obsColumns: cfg.obsColumns,
    };
    const extra: Record<string, string> = {};
    if (computed) for (const [n, c] of Object.entries(dictionaryJsonFiles(dicts))) extra[`dictionaries/${n}`] = c;
    writer.finish(obs, manifest, extra);
  } catch (e) {
    writer.abort();
    throw e;
  }
  return report;
}

/** Tokenize an in-memory AnnData (X = raw counts) -- a thin source adapter. */
export function annDataSource(adata: AnnData): CellBlockSource {
  return {
    shape: [adata.X.nRows, adata.X.nCols],
    obs: adata.obs,
    var: adata.var,
    *rowBlocks(blockRows: number) {
      for (let s = 0; s < adata.X.nRows; s += blockRows) yield { start: s, csr: sliceRows(adata.X, s, Math.min(adata.X.nRows, s + blockRows)) };
    },
  };
}

function sliceRows(x: Csr, r0: number, r1: number): Csr {
  const p0 = x.indptr[r0];
  const p1 = x.indptr[r1];
  const indptr = new Int32Array(r1 - r0 + 1);
  for (let r = r0; r <= r1; r++) indptr[r - r0] = x.indptr[r] - p0;
  return { nRows: r1 - r0, nCols: x.nCols, indptr, indices: x.indices.subarray(p0, p1), data: x.data.subarray(p0, p1) };
}

/** Rows not kept (filter_pass) become empty, so they add nothing to the medians. */
function keepRows(csr: Csr, keep: Uint8Array | undefined, start: number): Csr {
  if (!keep) return csr;
  const indptr = new Int32Array(csr.nRows + 1);
  const idx: number[] = [];
  const dat: number[] = [];
  for (let r = 0; r < csr.nRows; r++) {
    if (keep[start + r]) {
      for (let p = csr.indptr[r]; p < csr.indptr[r + 1]; p++) {
        idx.push(csr.indices[p]);
        dat.push(csr.data[p]);
      }
    }
    indptr[r + 1] = idx.length;
  }
  return { nRows: csr.nRows, nCols: csr.nCols, indptr, indices: Int32Array.from(idx), data: Float32Array.from(dat) };
}

function nCountsFor(col: Column, start: number, n: number, keep: Uint8Array | undefined): Float64Array {
  const out = new Float64Array(n);
  for (let r = 0; r < n; r++) {
    const v = cellValue(col, start + r);
    out[r] = typeof v === 'number' ? v : NaN;
    if (!(out[r] > 0) && (!keep || keep[start + r])) {
      throw new ScmixError('INPUT_VALUE', `obs n_counts of cell ${start + r} is ${v}; it must be a positive number`);
    }
  }
  return out;
}

function filterPassMask(col: Column, n: number): Uint8Array {
  const m = new Uint8Array(n);
  for (let i = 0; i < n; i++) {
    const v = cellValue(col, i);
    m[i] = v === 1 || v === true || v === '1' ? 1 : 0;
  }
  return m;
}

/** One obs value as JSON: categoricals as their label, missing as null. */
export function cellValue(col: Column, i: number): string | number | boolean | null {
  switch (col.kind) {
    case 'categorical':
      return col.codes[i] < 0 ? null : col.categories[col.codes[i]];
    case 'string':
      return col.values[i];
    case 'number':
      return Number.isNaN(col.values[i]) ? null : col.values[i];
    case 'boolean':
      return col.values[i] === 1;
    case 'nullable-integer':
      return col.mask[i] ? null : col.values[i];
    case 'nullable-boolean':
      return col.mask[i] ? null : col.values[i] === 1;
  }
}

function columnStrings(f: Frame, name: string, where: string, what: string): string[] {
  const col = f.columns.get(name);
  if (!col) throw new ScmixError('CONFIG_INVALID', `${where}: ${what} has no column '${name}'`, { hint: `${what} columns: ${[...f.columns.keys()].join(', ') || '(none)'}` });
  if (col.kind !== 'categorical' && col.kind !== 'string') throw new ScmixError('CONFIG_INVALID', `${where}: ${what} column '${name}' holds ${col.kind} values, not gene ids`);
  return f.index.map((_, i) => String(cellValue(col, i) ?? ''));
}
