/**
 * scvi `prepare_query_anndata` for a CSR matrix: reorder query columns to the model's genes,
 * zero-pad model genes the query lacks, drop query genes the model does not know.
 * Not the data room's alignToGenes: that one maps a repeated query gene from its first column and
 * is silent on low overlap, while this refuses repeats (GENES_MISMATCH) and warns below 80 %.
 */
import type { Csr } from '../../io/index.js';
import { ScmixError } from '../../errors.js';

export interface AlignResult {
  readonly X: Csr; /** [N, G_model] */
  /** fraction of model genes present in the query */
  readonly overlap: number;
  readonly missing: number;
  readonly dropped: number;
}

/**
 * @param onWarning called when fewer than 80 % of the model genes are present (scvi warns too)
 * @throws ScmixError GENES_MISMATCH when no model gene is present, or query gene names repeat
 */
export function alignQuery(X: Csr, queryGenes: readonly string[], modelGenes: readonly string[], source: string, onWarning?: (msg: string) => void): AlignResult {
  if (queryGenes.length !== X.nCols) throw new ScmixError('SHAPE_MISMATCH', `${source}: ${queryGenes.length} gene names for ${X.nCols} columns`);
  const pos = new Map<string, number>();
  modelGenes.forEach((g, i) => pos.set(g, i));
  const seen = new Set<string>();
  const colMap = new Int32Array(X.nCols);
  let present = 0;
  for (let c = 0; c < X.nCols; c++) {
    const g = queryGenes[c];
    if (seen.has(g)) throw new ScmixError('GENES_MISMATCH', `${source}: gene "${g}" appears twice`, { hint: 'make var_names unique before aligning to a model' });
    seen.add(g);
    const p = pos.get(g);
    colMap[c] = p ?? -1;
    if (p !== undefined) present++;
  }
  const overlap = present / Math.max(1, modelGenes.length);
  if (present === 0) {
    throw new ScmixError('GENES_MISMATCH', `${source}: none of the model's ${modelGenes.length} genes (e.g. ${modelGenes.slice(0, 3).join(', ')}) is in the data (e.g. ${queryGenes.slice(0, 3).join(', ')})`, {
      hint: 'the data must use the same gene identifiers (symbols vs Ensembl IDs) as the training corpus',
    });
  }
  if (overlap < 0.8) onWarning?.(`${source}: only ${(100 * overlap).toFixed(1)}% of the model's genes are present; the rest are zero-padded`);
  const identity = X.nCols === modelGenes.length && colMap.every((v, i) => v === i);
  if (identity) return { X, overlap, missing: 0, dropped: 0 };
  const indptr = new Int32Array(X.nRows + 1);
  const idx: number[] = [];
  const val: number[] = [];
  const rowI: number[] = [];
  const rowV: number[] = [];
  for (let r = 0; r < X.nRows; r++) {
    rowI.length = 0;
    rowV.length = 0;
    for (let p = X.indptr[r]; p < X.indptr[r + 1]; p++) {
      const c = colMap[X.indices[p]];
      if (c >= 0) {
        rowI.push(c);
        rowV.push(X.data[p]);
      }
    }
    const order = rowI.map((_, i) => i).sort((a, b) => rowI[a] - rowI[b]);
    for (const i of order) {
      idx.push(rowI[i]);
      val.push(rowV[i]);
    }
    indptr[r + 1] = idx.length;
  }
  return {
    X: { nRows: X.nRows, nCols: modelGenes.length, indptr, indices: Int32Array.from(idx), data: Float32Array.from(val) },
    overlap,
    missing: modelGenes.length - present,
    dropped: X.nCols - present,
  };
}
