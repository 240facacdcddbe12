import { ScmixError } from '../../errors.js';
import type { Csr } from '../../io/index.js';

/** Query-to-model gene mapping (scvi prepare_query_anndata): reorder, zero-pad, drop extras. */
export interface GeneAlignment {
  /** for each query column, its model column or -1 when the model does not know the gene ([G_query]) */
  queryToModel: Int32Array;
  nModelGenes: number;
  /** model genes present in the query */
  nPresent: number;
  /** nPresent / nModelGenes */
  fraction: number;
  warning?: string;
}

/**
 * Build the alignment. Duplicate query gene names map only their first occurrence.
 * @throws GENES_MISMATCH when no query gene is a model gene (names both files in the message).
 */
export function alignGenes(queryGenes: readonly string[], modelGenes: readonly string[], where = 'eval set'): GeneAlignment {
  const pos = new Map<string, number>();
  modelGenes.forEach((g, i) => pos.set(g, i));
  const seen = new Set<number>();
  const queryToModel = new Int32Array(queryGenes.length).fill(-1);
  for (let q = 0; q < queryGenes.length; q++) {
    const m = pos.get(queryGenes[q]!);
    if (m !== undefined && !seen.has(m)) {
      queryToModel[q] = m;
      seen.add(m);
    }
  }
  const nPresent = seen.size;
  if (nPresent === 0) {
    throw new ScmixError(
      'GENES_MISMATCH',
      `${where}: none of its ${queryGenes.length} genes is among the model's ${modelGenes.length} genes (e.g. eval '${queryGenes[0] ?? ''}' vs model '${modelGenes[0] ?? ''}')`,
      { hint: 'both must use the same gene ids (Ensembl ids, version stripped); map symbols first' },
    );
  }
  const fraction = nPresent / modelGenes.length;
  const warning = fraction < 0.8 ? `${where} holds only ${(100 * fraction).toFixed(1)}% of the model's genes; the rest are zero-padded` : undefined;
  return { queryToModel, nModelGenes: modelGenes.length, nPresent, fraction, warning };
}

/** Rows of `csr` re-expressed over the model genes (missing genes are implicit zeros). Indices sorted. */
export function alignCsr(csr: Csr, al: GeneAlignment): Csr {
  const nnz = Number(csr.indptr[csr.nRows]) - Number(csr.indptr[0]);
  const indptr = new Int32Array(csr.nRows + 1);
  const indices = new Int32Array(nnz);
  const data = new Float32Array(nnz);
  let w = 0;
  let sorted = true;
  for (let r = 0; r < csr.nRows; r++) {
    const rowStart = w;
    let last = -1;
    for (let k = Number(csr.indptr[r]); k < Number(csr.indptr[r + 1]); k++) {
      const m = al.queryToModel[csr.indices[k]!]!;
      if (m < 0) continue;
      if (m < last) sorted = false;
      last = m;
      indices[w] = m;
      data[w++] = csr.data[k]!;
    }
    if (!sorted) {
      // query columns in another order than the model's: sort this row by model column
      const order = Array.from({ length: w - rowStart }, (_, i) => rowStart + i).sort((a, b) => indices[a]! - indices[b]!);
      const ci = order.map((o) => indices[o]!);
      const cd = order.map((o) => data[o]!);
      indices.set(ci, rowStart);
      data.set(cd, rowStart);
      sorted = true;
    }
    indptr[r + 1] = w;
  }
  return { nRows: csr.nRows, nCols: al.nModelGenes, indptr, indices: indices.subarray(0, w), data: data.subarray(0, w) };
}

/**
 * scanpy normalize_total(target_sum) + log1p on aligned counts, in float32 like scanpy on float32
 * input: totals over model genes only; an all-zero cell stays zero.
 */
export function logCp10k(csr: Csr, targetSum = 1e4): Csr {
  const data = new Float32Array(csr.data.length);
  const t = Math.fround(targetSum);
  for (let r = 0; r < csr.nRows; r++) {
    const a = Number(csr.indptr[r]);
    const b = Number(csr.indptr[r + 1]);
    let tot = 0;
    for (let k = a; k < b; k++) tot = Math.fround(tot + csr.data[k]!);
    let f = Math.fround(tot / t);
    if (f === 0) f = 1;
    for (let k = a; k < b; k++) data[k] = Math.fround(Math.log1p(Math.fround(csr.data[k]! / f)));
  }
  return { ...csr, data };
}
