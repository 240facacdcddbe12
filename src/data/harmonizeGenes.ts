/**
 * Gene harmonization across sources, as the study does it: symbols -> Ensembl ids through a
 * reference table (scTab `feature_name -> feature_id`), Ensembl version stripping, and the
 * intersection of gene lists.
 */
import type { AnnData } from '../io/index.js';
import { ScmixError } from '../errors.js';
import { geneSymbols } from './qc.js';
import { subsetCols } from './subset.js';

/**
 * `ENSG00000141510.17` -> `ENSG00000141510`. Only ids that look like Ensembl (`ENS` + letters +
 * digits) lose their `.N` suffix; GENCODE's `_PAR_Y` suffix is kept so the X and Y copies of
 * pseudo-autosomal genes stay distinct. Anything else is returned unchanged.
 */
export function stripEnsemblVersion(id: string): string {
  const m = /^(ENS[A-Z]*\d+)\.\d+(_PAR_Y)?$/.exec(id);
  return m ? m[1] + (m[2] ?? '') : id;
}

/**
 * symbol -> id map built like the study's Python loop (`for name, id in zip(...): d[name] = id`):
 * for a repeated symbol the LAST row wins.
 * @throws SHAPE_MISMATCH when the two lists differ in length.
 */
export function buildSymbolMap(symbols: string[], ids: string[]): Map<string, string> {
  if (symbols.length !== ids.length) throw new ScmixError('SHAPE_MISMATCH', `symbol table: ${symbols.length} symbols but ${ids.length} ids`);
  const m = new Map<string, string>();
  for (let i = 0; i < symbols.length; i++) m.set(symbols[i], ids[i]);
  return m;
}

export interface MapSymbolsResult {
  /** var index = Ensembl ids; var column `gene_symbol` = the symbol it came from */
  readonly adata: AnnData;
  readonly nMapped: number;
  /** symbols without an entry in the table (dropped) */
  readonly nUnmapped: number;
  /** genes dropped because an earlier gene already mapped to the same id */
  readonly nDuplicateIds: number;
}

/**
 * Re-indexes genes by Ensembl id through `table` (symbol -> id, see {@link buildSymbolMap}) and
 * drops unmapped genes, keeping the input order. When two symbols map to one id, the first gene
 * keeps it and the later one is dropped (an index must be unique; the study's code would carry
 * both and subset by name).
 * @throws CONFIG_INVALID for an absent symbol column; GENES_MISMATCH when no symbol maps.
 */
export function mapSymbolsToEnsembl(adata: AnnData, table: Map<string, string>, opts: { symbolColumn?: string } = {}): MapSymbolsResult {
  const { symbols } = opts.symbolColumn ? geneSymbols(adata.var, opts.symbolColumn) : { symbols: adata.var.index };
  const keep: number[] = [];
  const ids: string[] = [];
  const used = new Set<string>();
  let unmapped = 0, dup = 0;
  symbols.forEach((s, g) => {
    const id = table.get(s);
    if (id === undefined) { unmapped++; return; }
    if (used.has(id)) { dup++; return; }
    used.add(id);
    keep.push(g);
    ids.push(id);
  });
  if (keep.length === 0) {
    throw new ScmixError('GENES_MISMATCH', `none of the ${symbols.length} gene symbols (e.g. ${symbols.slice(0, 3).map((s) => JSON.stringify(s)).join(', ')}) is in the symbol -> Ensembl table`, {
      hint: 'the genes may already be Ensembl ids, or use another symbol column',
    });
  }
  const sub = subsetCols(adata, keep);
  const columns = new Map(sub.var.columns);
  columns.set('gene_symbol', { kind: 'string', values: keep.map((g) => symbols[g]) });
  return { adata: { ...sub, var: { index: ids, columns } }, nMapped: keep.length, nUnmapped: unmapped, nDuplicateIds: dup };
}

/**
 * Genes present in every list, in the order of the FIRST list (repeats removed). The study uses
 * `list(set(...))`, whose order depends on string hashing; a fixed order keeps corpora
 * byte-identical across runs and evaluation aligns by name anyway.
 */
export function intersectGenes(lists: string[][]): string[] {
  if (lists.length === 0) return [];
  const others = lists.slice(1).map((l) => new Set(l));
  const seen = new Set<string>();
  const out: string[] = [];
  for (const g of lists[0]) {
    if (seen.has(g)) continue;
    seen.add(g);
    if (others.every((s) => s.has(g))) out.push(g);
  }
  return out;
}
