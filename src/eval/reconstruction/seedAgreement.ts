import { pearson, spearman } from './pearson.js';

/** How closely two seeds of the same (corpus, eval set) agree per cell (Supp Fig 1B). */
export interface SeedAgreement {
  /** cells present in both runs with a finite r2 on both sides */
  n: number;
  pearson: number;
  spearman: number;
  /** mean |r2_a - r2_b| */
  meanAbsDiff: number;
  /** median r2 of each side over the paired cells */
  medianA: number;
  medianB: number;
}

/**
 * Pair cells by id and compare their per-cell r2 between two seeds. Cells missing on one side or
 * NaN on either side are dropped (the paired count `n` says how many remain).
 */
export function seedAgreement(
  a: { cells: readonly string[]; r2: ArrayLike<number> },
  b: { cells: readonly string[]; r2: ArrayLike<number> },
): SeedAgreement {
  const pos = new Map<string, number>();
  b.cells.forEach((c, i) => pos.set(c, i));
  const xa: number[] = [];
  const xb: number[] = [];
  for (let i = 0; i < a.cells.length; i++) {
    const j = pos.get(a.cells[i]!);
    if (j === undefined) continue;
    const va = a.r2[i]!;
    const vb = b.r2[j]!;
    if (Number.isFinite(va) && Number.isFinite(vb)) {
      xa.push(va);
      xb.push(vb);
    }
  }
  let mad = 0;
  for (let i = 0; i < xa.length; i++) mad += Math.abs(xa[i]! - xb[i]!);
  const med = (v: number[]) => {
    const s = [...v].sort((p, q) => p - q);
    const n = s.length;
    return n === 0 ? NaN : n % 2 ? s[(n - 1) / 2]! : (s[n / 2 - 1]! + s[n / 2]!) / 2;
  };
  return {
    n: xa.length,
    pearson: pearson(xa, xb),
    spearman: spearman(xa, xb),
    meanAbsDiff: xa.length ? mad / xa.length : NaN,
    medianA: med(xa),
    medianB: med(xb),
  };
}
