/**
 * Per-gene residual statistics of the study's evaluation class (`get_residual_expression_matrix`,
 * study.md 5.1), accumulated block by block on the CP10k scale (not logged):
 *   residual = observed CP10k - reconstructed CP10k (px_scale * 1e4)
 *   residual_mean, residual_var (population variance, ddof 0, as numpy .var)
 *   proportional_residual_mean = residual_mean / mean(observed CP10k)   (NaN when that mean is 0)
 *   explained_variance = var(reconstructed) / var(observed)             (NaN when var(observed) = 0)
 */
export interface GeneResidualAccumulator {
  n: number;
  so: Float64Array; // Σ obs          [G]
  soo: Float64Array; // Σ obs²        [G]
  sr: Float64Array; // Σ rec          [G]
  srr: Float64Array; // Σ rec²        [G]
  sd: Float64Array; // Σ (obs - rec)  [G]
  sdd: Float64Array; // Σ (obs - rec)² [G]
}

export interface GeneResiduals {
  genes: readonly string[];
  meanObserved: Float64Array;
  meanReconstructed: Float64Array;
  residualMean: Float64Array;
  residualVar: Float64Array;
  proportionalResidualMean: Float64Array;
  explainedVariance: Float64Array;
}

export function createResidualAccumulator(nGenes: number): GeneResidualAccumulator {
  const z = () => new Float64Array(nGenes);
  return { n: 0, so: z(), soo: z(), sr: z(), srr: z(), sd: z(), sdd: z() };
}

/**
 * Add a block: `obsDense` and `rec` are [B, G] row-major CP10k values.
 */
export function accumulateResiduals(acc: GeneResidualAccumulator, obsDense: Float32Array | Float64Array, rec: Float32Array, nRows: number): void {
  const G = acc.so.length;
  for (let r = 0; r < nRows; r++) {
    const off = r * G;
    for (let g = 0; g < G; g++) {
      const o = obsDense[off + g]!;
      const p = rec[off + g]!;
      const d = o - p;
      acc.so[g] += o;
      acc.soo[g] += o * o;
      acc.sr[g] += p;
      acc.srr[g] += p * p;
      acc.sd[g] += d;
      acc.sdd[g] += d * d;
    }
  }
  acc.n += nRows;
}

/** Finish the per-gene statistics. */
export function perGeneResiduals(acc: GeneResidualAccumulator, genes: readonly string[]): GeneResiduals {
  const G = acc.so.length;
  const n = acc.n;
  const f = () => new Float64Array(G);
  const out: GeneResiduals = {
    genes,
    meanObserved: f(),
    meanReconstructed: f(),
    residualMean: f(),
    residualVar: f(),
    proportionalResidualMean: f(),
    explainedVariance: f(),
  };
  const v = (s: number, ss: number) => Math.max(0, ss / n - (s / n) * (s / n));
  for (let g = 0; g < G; g++) {
    const mo = acc.so[g]! / n;
    out.meanObserved[g] = mo;
    out.meanReconstructed[g] = acc.sr[g]! / n;
    out.residualMean[g] = acc.sd[g]! / n;
    out.residualVar[g] = v(acc.sd[g]!, acc.sdd[g]!);
    out.proportionalResidualMean[g] = mo === 0 ? NaN : out.residualMean[g]! / mo;
    const vo = v(acc.so[g]!, acc.soo[g]!);
    out.explainedVariance[g] = vo === 0 ? NaN : v(acc.sr[g]!, acc.srr[g]!) / vo;
  }
  return out;
}
