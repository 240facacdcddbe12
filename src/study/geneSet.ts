/**
 * The corpus gene set: the ids every listed source has, sorted (code-point order) so that the
 * order never depends on component order or hashing (the study's `list(set(...))` order was
 * arbitrary; evaluation aligns genes by id, so any fixed order is equivalent).
 */
import { intersectGenes } from '../data/index.js';
import type { PreparedSource } from './prepareSource.js';

export function intersectGeneIds(sources: readonly PreparedSource[]): string[] {
  const lists = sources.map((s) => s.geneIds.filter((x): x is string => x !== null));
  return intersectGenes(lists).sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
}

/**
 * file column -> corpus column (-1 = dropped). When two columns of a file map to the same id
 * (duplicated symbols), the first column wins.
 */
export function columnMap(geneIds: readonly (string | null)[], genes: readonly string[]): Int32Array {
  const at = new Map(genes.map((g, i) => [g, i]));
  const used = new Uint8Array(genes.length);
  return Int32Array.from(geneIds, (id) => {
    const j = id === null ? undefined : at.get(id);
    if (j === undefined || used[j]) return -1;
    used[j] = 1;
    return j;
  });
}
