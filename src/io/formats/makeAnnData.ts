/**
 * Small builders shared by the format readers: an AnnData from a CSR matrix and two frames, and
 * anndata's `make_index_unique` rule for duplicated names.
 */
import type { AnnData, Column, Csr, Frame } from '../annData.js';

/** AnnData with empty layers/obsm/varm and the given `uns`. */
export function makeAnnData(X: Csr, obs: Frame, vars: Frame, uns: AnnData['uns'] = {}): AnnData {
  return { X, obs, var: vars, layers: new Map(), obsm: new Map(), varm: new Map(), uns };
}

/** A frame with a string index and (optionally) string columns. */
export function stringFrame(index: string[], columns: [string, string[]][] = []): Frame {
  return { index, columns: new Map(columns.map(([k, v]) => [k, { kind: 'string', values: v } as Column])) };
}

/**
 * anndata's `make_index_unique(join='-')`: the first occurrence keeps its name; later duplicates
 * get `-1`, `-2`, ... (skipping names that already exist). Returns the input array when unique.
 */
export function makeUnique(names: string[]): string[] {
  const seen = new Set<string>();
  let dup = false;
  for (const n of names) {
    if (seen.has(n)) { dup = true; break; }
    seen.add(n);
  }
  if (!dup) return names;
  const all = new Set(names);
  const counter = new Map<string, number>();
  const first = new Set<string>();
  return names.map((n) => {
    if (!first.has(n)) {
      first.add(n);
      return n;
    }
    for (;;) {
      const k = (counter.get(n) ?? 0) + 1;
      counter.set(n, k);
      const candidate = `${n}-${k}`;
      if (!all.has(candidate)) {
        all.add(candidate);
        return candidate;
      }
    }
  });
}
