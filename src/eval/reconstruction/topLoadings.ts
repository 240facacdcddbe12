/**
 * Factor-loading analyses (Fig. 1D "rank factor loadings"): the genes with the largest positive
 * and negative loadings per factor, and the overlap of these gene sets between two models.
 */
export interface FactorTopGenes {
  factor: number;
  positive: string[];
  negative: string[];
}

/** Top `n` genes by loading per factor; `loadings` is [G, K] row-major. Ties keep gene order. */
export function topLoadingGenes(loadings: ArrayLike<number>, genes: readonly string[], n = 20): FactorTopGenes[] {
  const G = genes.length;
  const K = G > 0 ? Math.round(loadings.length / G) : 0;
  const out: FactorTopGenes[] = [];
  for (let f = 0; f < K; f++) {
    const idx = Array.from({ length: G }, (_, g) => g);
    const val = (g: number) => loadings[g * K + f]!;
    const desc = [...idx].sort((a, b) => val(b) - val(a) || a - b);
    const asc = [...idx].sort((a, b) => val(a) - val(b) || a - b);
    out.push({ factor: f, positive: desc.slice(0, n).map((g) => genes[g]!), negative: asc.slice(0, n).map((g) => genes[g]!) });
  }
  return out;
}

/** |A ∩ B| / |A ∪ B| (NaN for two empty sets). */
export function jaccard(a: Iterable<string>, b: Iterable<string>): number {
  const A = new Set(a);
  const B = new Set(b);
  let inter = 0;
  for (const x of A) if (B.has(x)) inter++;
  const uni = A.size + B.size - inter;
  return uni === 0 ? NaN : inter / uni;
}

/**
 * Overlap of two models' factor gene sets. Factors are not identifiable across models (order and
 * sign are arbitrary), so each factor of A is matched to the factor of B with the highest Jaccard
 * of its top genes (positive ∪ negative); reported are the per-factor best matches, their mean,
 * and the Jaccard of the union of all top genes.
 */
export function loadingOverlap(a: FactorTopGenes[], b: FactorTopGenes[]): { bestMatch: number[]; meanBest: number; union: number } {
  const set = (f: FactorTopGenes) => [...f.positive, ...f.negative];
  const bestMatch = a.map((fa) => Math.max(...b.map((fb) => jaccard(set(fa), set(fb))).filter((v) => !Number.isNaN(v)), 0));
  const meanBest = bestMatch.length ? bestMatch.reduce((s, v) => s + v, 0) / bestMatch.length : NaN;
  return { bestMatch, meanBest, union: jaccard(a.flatMap(set), b.flatMap(set)) };
}
