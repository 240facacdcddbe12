/**
 * Query alignment to a model's genes (scvi-tools `prepare_query_anndata`): reorder to the model's
 * order, zero-pad genes the query lacks, drop genes the model does not know.
 */
import type { AnnData, Csr, Dense } from '../io/index.js';
import { ScmixError } from '../errors.js';
import { gatherFrame } from './frameOps.js';
import { denseCols, isCsr, remapCsrColumns } from './subset.js';

export interface AlignResult {
  /** var index = `genes` exactly; padded genes are all-zero columns */
  readonly adata: AnnData;
  /** fraction of the model's genes found in the query (scvi warns below 0.8) */
  readonly overlap: number;
  readonly nPresent: number;
  /** model genes zero-padded */
  readonly nMissing: number;
  /** query genes dropped */
  readonly nDropped: number;
}

/**
 * Aligns X and every layer to `genes` [G]. A gene repeated in the query maps from its first
 * column. var columns follow (missing values for padded genes); varm is dropped.
 * @throws GENES_MISMATCH when no model gene is in the query (names a few from each side).
 */
export function alignToGenes(adata: AnnData, genes: string[]): AlignResult {
  const pos = new Map<string, number>();
  genes.forEach((g, i) => { if (!pos.has(g)) pos.set(g, i); });
  const map = new Int32Array(adata.var.index.length).fill(-1);
  const src = new Int32Array(genes.length).fill(-1);
  adata.var.index.forEach((g, c) => {
    const p = pos.get(g);
    if (p !== undefined && src[p] < 0) { src[p] = c; map[c] = p; }
  });
  let nPresent = 0;
  for (const s of src) if (s >= 0) nPresent++;
  if (nPresent === 0) {
    const show = (xs: string[]) => xs.slice(0, 3).map((x) => JSON.stringify(x)).join(', ');
    throw new ScmixError('GENES_MISMATCH', `none of the model's ${genes.length} genes (${show(genes)}, ...) is among the query's ${adata.var.index.length} genes (${show(adata.var.index)}, ...)`, {
      hint: 'map symbols to Ensembl ids (or strip Ensembl versions) so both sides use the same gene ids',
    });
  }
  const layers = new Map<string, Csr | Dense>();
  for (const [k, m] of adata.layers) layers.set(k, isCsr(m) ? remapCsrColumns(m, map, genes.length) : denseCols(m, src));
  const vars = gatherFrame(adata.var, src, genes);
  return {
    adata: { ...adata, X: remapCsrColumns(adata.X, map, genes.length), var: { index: genes.slice(), columns: vars.columns }, layers, varm: new Map() },
    overlap: nPresent / genes.length,
    nPresent,
    nMissing: genes.length - nPresent,
    nDropped: adata.var.index.length - nPresent,
  };
}
