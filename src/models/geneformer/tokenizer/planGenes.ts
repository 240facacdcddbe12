/**
 * Map the input's gene columns onto the vocabulary once, before any cell is read: per column the
 * token id, the median and (when duplicates are collapsed) the slot that sums its counts.
 */
import { ScmixError } from '../../../errors.js';
import type { GeneformerDictionaries } from './dictionaries.js';
import type { ResolvedTokenizeConfig } from './tokenizeConfig.js';

/** Per input column [G]: where it goes in the vocabulary. */
export interface GenePlan {
  /** token id per column, -1 when the gene is not in the vocabulary */
  readonly tokenOf: Int32Array;
  /** 1 / median per column (0 when not in the vocabulary) */
  readonly invMedianOf: Float64Array;
  /**
   * collapse slot per column (-1 = dropped): columns with the same gene id share a slot, numbered
   * by first appearance, so ties between collapsed genes break by their first column
   */
  readonly slotOf: Int32Array;
  /** token id and 1/median per slot */
  readonly slotToken: Int32Array;
  readonly slotInvMedian: Float64Array;
  readonly collapse: boolean;
  /** coverage report */
  readonly stats: GenePlanStats;
}
export interface GenePlanStats {
  nGenes: number;
  /** columns ignored because detected in fewer than minCells kept cells */
  removedByMinCells: number;
  /** columns whose id (after symbol mapping) is in the token dictionary */
  inVocabulary: number;
  /** columns whose symbol had no entry in gene_name_id_dict (symbol mode only) */
  unmappedSymbols: number;
  /** in-vocabulary columns whose gene id already appeared in an earlier column */
  duplicateColumns: number;
  firstDuplicates: string[];
}

/**
 * Build the plan for the genes of one input (file order).
 * @param geneNames gene ids (or symbols when cfg.geneIdType is 'symbol'), one per column
 * @throws GENES_MISMATCH when no gene is in the vocabulary, or symbol mode lacks gene_name_id_dict
 */
export function planGenes(
  geneNames: readonly string[],
  dicts: GeneformerDictionaries,
  cfg: ResolvedTokenizeConfig,
  source: string,
  geneMask?: Uint8Array,
): GenePlan {
  const G = geneNames.length;
  if (cfg.geneIdType === 'symbol' && !dicts.nameToId) {
    throw new ScmixError('GENES_MISMATCH', `${source}: gene symbols need gene_name_id_dict in the dictionary folder`, {
      hint: 'add gene_name_id_dict.pkl/.json to --dictionaries, or point --gene-column at Ensembl ids',
    });
  }
  const tokenOf = new Int32Array(G).fill(-1);
  const invMedianOf = new Float64Array(G);
  const slotOf = new Int32Array(G).fill(-1);
  const slotIndex = new Map<string, number>();
  const slotTok: number[] = [];
  const slotInv: number[] = [];
  let unmapped = 0;
  let inVocab = 0;
  let dup = 0;
  const firstDuplicates: string[] = [];
  let masked = 0;
  for (let g = 0; g < G; g++) {
    if (geneMask && !geneMask[g]) {
      masked++;
      continue;
    }
    let id: string | undefined = geneNames[g];
    if (cfg.geneIdType === 'symbol') {
      id = dicts.nameToId!.get(id);
      if (id === undefined) {
        unmapped++;
        continue;
      }
    }
    const tok = dicts.tokens.get(id);
    const med = dicts.medians.get(id);
    if (tok === undefined || med === undefined) continue;
    inVocab++;
    tokenOf[g] = tok;
    invMedianOf[g] = 1 / med;
    let slot = slotIndex.get(id);
    if (slot === undefined) {
      slot = slotTok.length;
      slotIndex.set(id, slot);
      slotTok.push(tok);
      slotInv.push(1 / med);
    } else {
      dup++;
      if (firstDuplicates.length < 10) firstDuplicates.push(id);
    }
    slotOf[g] = slot;
  }
  if (cfg.geneIdType === 'symbol' && G - masked > 0 && (G - masked - unmapped) / (G - masked) < cfg.minSymbolMatch) {
    throw new ScmixError('GENES_MISMATCH', `${source}: only ${G - masked - unmapped} of ${G - masked} gene symbols are in gene_name_id_dict (minimum fraction ${cfg.minSymbolMatch})`, {
      hint: 'check the gene column and that it holds human gene symbols of the same case',
    });
  }
  if (inVocab === 0) {
    throw new ScmixError('GENES_MISMATCH', `${source}: none of its ${G} genes is in the token dictionary`, {
      hint:
        cfg.geneIdType === 'symbol'
          ? 'check that the gene column holds symbols matching gene_name_id_dict (exact case)'
          : 'the gene column must hold Ensembl ids (ENSG...); use --gene-column, or --gene-id-type symbol for symbols',
    });
  }
  return {
    tokenOf,
    invMedianOf,
    slotOf,
    slotToken: Int32Array.from(slotTok),
    slotInvMedian: Float64Array.from(slotInv),
    collapse: cfg.collapseDuplicates,
    stats: { nGenes: G, removedByMinCells: masked, inVocabulary: inVocab, unmappedSymbols: unmapped, duplicateColumns: dup, firstDuplicates },
  };
}
