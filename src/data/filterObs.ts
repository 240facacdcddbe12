/**
 * Subset filters on obs columns (the study's `disease == "normal"`, `cell_type == "Malignant"`,
 * `gene != "non-targeting"`, `donor_id == ...`).
 */
import { z } from 'zod';
import type { AnnData } from '../io/index.js';
import { ScmixError } from '../errors.js';
import { cellText, columnType } from './frameOps.js';
import { subsetRows, whichTrue } from './subset.js';

const Scalar = z.union([z.string(), z.number(), z.boolean()]);

export const ObsFilter = z
  .object({
    column: z.string().min(1).describe('obs column'),
    op: z.enum(['equals', 'in', 'not-in']).describe('equals: one value; in / not-in: a list'),
    value: z.union([Scalar, z.array(Scalar)]).describe('value(s) compared as text (numbers: 3 matches 3.0)'),
  })
  .strict();
export type ObsFilter = z.infer<typeof ObsFilter>;

export interface FilterResult {
  readonly adata: AnnData;
  /** 1 = kept [N] */
  readonly keep: Uint8Array;
  readonly nKept: number;
  /** cells kept after each filter in turn */
  readonly keptAfter: number[];
}

const norm = (v: string | number | boolean) =>
  typeof v === 'number' ? String(v) : typeof v === 'boolean' ? String(v) : /^-?\d+(\.\d+)?([eE][-+]?\d+)?$/.test(v.trim()) ? String(Number(v)) : v;

/**
 * Keeps cells that pass every filter (AND). Values compare as text; numeric text compares by
 * value; booleans as 'true'/'false'. A missing value (NaN, categorical -1, masked) never equals
 * anything, so it fails `equals`/`in` and passes `not-in` (pandas `~isin` semantics).
 * @throws CONFIG_INVALID for a filter on a column that obs lacks (naming it and listing the
 *   available columns) or a malformed filter.
 */
export function filterObs(adata: AnnData, filters: ObsFilter[]): FilterResult {
  const n = adata.X.nRows;
  const keep = new Uint8Array(n).fill(1);
  const keptAfter: number[] = [];
  for (const raw of filters) {
    const parsed = ObsFilter.safeParse(raw);
    if (!parsed.success) throw new ScmixError('CONFIG_INVALID', `bad obs filter ${JSON.stringify(raw)}: ${parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`);
    const f = parsed.data;
    const col = adata.obs.columns.get(f.column);
    if (!col) {
      const avail = [...adata.obs.columns].map(([k, c]) => `${k} (${columnType(c)})`).join(', ') || '(none)';
      throw new ScmixError('CONFIG_INVALID', `obs filter on column "${f.column}", but obs has no such column; available: ${avail}`);
    }
    const values = (Array.isArray(f.value) ? f.value : [f.value]).map(norm);
    if (f.op === 'equals' && values.length !== 1) throw new ScmixError('CONFIG_INVALID', `obs filter "${f.column}" equals needs one value, got ${values.length}`);
    const set = new Set(values);
    const numeric = col.kind === 'number' || col.kind === 'nullable-integer';
    let kept = 0;
    for (let i = 0; i < n; i++) {
      if (!keep[i]) continue;
      let t = cellText(col, i);
      if (t !== null && numeric) t = norm(t);
      const hit = t !== null && set.has(t);
      keep[i] = (f.op === 'not-in' ? !hit : hit) ? 1 : 0;
      kept += keep[i];
    }
    keptAfter.push(kept);
  }
  const rows = whichTrue(keep);
  return { adata: subsetRows(adata, rows), keep, nKept: rows.length, keptAfter };
}
