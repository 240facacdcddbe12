/**
 * Distribution summaries of per-cell metrics. NaN values (constant cells) are counted in `nNan`
 * and left out of every statistic, as numpy's nanmedian/nanmean do.
 */
export interface ValueSummary {
  /** cells, NaN included */
  n: number;
  nNan: number;
  median: number;
  mean: number;
  q25: number;
  q75: number;
  min: number;
  max: number;
}

/**
 * Quantile with numpy's default rule (linear interpolation between order statistics,
 * position q*(n-1)) on an ascending array. NaN for an empty array.
 */
export function quantileSorted(sorted: ArrayLike<number>, q: number): number {
  const n = sorted.length;
  if (n === 0) return NaN;
  const pos = q * (n - 1);
  const lo = Math.floor(pos);
  const hi = Math.min(n - 1, lo + 1);
  const f = pos - lo;
  return sorted[lo]! + (sorted[hi]! - sorted[lo]!) * f;
}

/** Summary of one metric over cells; NaN entries are counted, not used. */
export function summarizeValues(values: ArrayLike<number>): ValueSummary {
  const finite: number[] = [];
  let nNan = 0;
  for (let i = 0; i < values.length; i++) {
    const v = values[i]!;
    if (Number.isNaN(v)) nNan++;
    else finite.push(v);
  }
  const s = Float64Array.from(finite).sort();
  let sum = 0;
  for (const v of s) sum += v;
  return {
    n: values.length,
    nNan,
    median: quantileSorted(s, 0.5),
    mean: s.length ? sum / s.length : NaN,
    q25: quantileSorted(s, 0.25),
    q75: quantileSorted(s, 0.75),
    min: s.length ? s[0]! : NaN,
    max: s.length ? s[s.length - 1]! : NaN,
  };
}

/** Summaries per group label (e.g. cell type), groups in first-seen order. */
export function summarizeByGroup(values: ArrayLike<number>, groups: readonly string[]): Map<string, ValueSummary> {
  const buckets = new Map<string, number[]>();
  for (let i = 0; i < values.length; i++) {
    const g = groups[i]!;
    let b = buckets.get(g);
    if (!b) buckets.set(g, (b = []));
    b.push(values[i]!);
  }
  const out = new Map<string, ValueSummary>();
  for (const [g, b] of buckets) out.set(g, summarizeValues(b));
  return out;
}

/**
 * log2 fold change of a model's statistic over the baseline model's (Supp Fig 1A colour).
 * Both values must be > 0; otherwise the ratio is undefined and NaN is returned (the heatmap
 * draws such cells hatched rather than inventing a pseudo-count).
 */
export function log2FoldChange(value: number, baseline: number): number {
  if (!(value > 0) || !(baseline > 0)) return NaN;
  return Math.log2(value / baseline);
}
