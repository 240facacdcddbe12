/**
 * scanpy 1.10.2 `highly_variable_genes(flavor='seurat', n_top_genes=...)` with `batch_key=None`,
 * following ldvae-spec.md 6.3 step by step (including pandas' binning edges, the single-gene and
 * all-NaN bin rules, ties at the cutoff, and nan_to_num).
 */
import type { Csr } from '../io/index.js';
import { ScmixError } from '../errors.js';

export interface HvgOptions {
  /** genes to select (ties at the cutoff can add more). Default 1000. */
  readonly nTop?: number;
  /** equal-width mean bins. Default 20. */
  readonly nBins?: number;
  /** true (default): scanpy <= 1.10.2, NaN dispersions count as 0 and can be selected; false: >= 1.10.3 */
  readonly nanSelectable?: boolean;
}

export interface HvgResult {
  /** 1 = highly variable [G] */
  readonly mask: Uint8Array;
  /** selected genes in original order */
  readonly indices: Int32Array;
  /** log1p(mean of expm1(X)) [G] (scanpy var['means']) */
  readonly means: Float64Array;
  /** ln(variance / mean), NaN where the dispersion is 0 [G] (var['dispersions']) */
  readonly dispersions: Float64Array;
  /** dispersions normalized within mean bins [G] (var['dispersions_norm']; scanpy stores float32) */
  readonly dispersionsNorm: Float64Array;
  /** disp_norm value of the n-th best gene */
  readonly cutoff: number;
}

const MAX = Number.MAX_VALUE;

/**
 * Highly variable genes on log1p-normalized data [N, G].
 * @throws CONFIG_INVALID for nTop < 1 or fewer than 2 cells; INPUT_VALUE when every normalized
 *   dispersion is NaN (e.g. all genes constant).
 */
export function highlyVariableGenes(logCsr: Csr, opts: HvgOptions = {}): HvgResult {
  const nTopReq = opts.nTop ?? 1000;
  const nBins = opts.nBins ?? 20;
  const nanSel = opts.nanSelectable ?? true;
  const N = logCsr.nRows, G = logCsr.nCols;
  if (!(nTopReq >= 1)) throw new ScmixError('CONFIG_INVALID', `highlyVariableGenes nTop must be >= 1, got ${nTopReq}`);
  if (N < 2) throw new ScmixError('CONFIG_INVALID', `highlyVariableGenes needs at least 2 cells, got ${N}`);

  // 1-2. Undo the log in float32; sums in float64 with squares taken in float32 (scanpy _get_mean_var).
  const s1 = new Float64Array(G), s2 = new Float64Array(G);
  const nnz = logCsr.indptr[N];
  for (let k = 0; k < nnz; k++) {
    const d = Math.fround(Math.expm1(logCsr.data[k]));
    const g = logCsr.indices[k];
    s1[g] += d;
    s2[g] += Math.fround(d * d);
  }
  const means = new Float64Array(G), dispersions = new Float64Array(G);
  for (let g = 0; g < G; g++) {
    let mean = s1[g] / N;
    const variance = (s2[g] / N - mean * mean) * (N / (N - 1));
    if (mean === 0) mean = 1e-12;
    let disp = variance / mean;
    if (disp === 0) disp = NaN;
    dispersions[g] = Math.log(disp); // log of a negative (rounding) variance is NaN, as in numpy
    means[g] = Math.log1p(mean);
  }

  // 4. pd.cut(means, nBins): right-closed equal-width bins, first edge lowered by 0.1% of the range.
  let mn = Infinity, mx = -Infinity;
  for (const m of means) { if (m < mn) mn = m; if (m > mx) mx = m; }
  let edges: Float64Array;
  if (mn === mx) {
    const lo = mn - (mn !== 0 ? 0.001 * Math.abs(mn) : 0.001);
    const hi = mx + (mx !== 0 ? 0.001 * Math.abs(mx) : 0.001);
    edges = linspace(lo, hi, nBins + 1);
  } else {
    edges = linspace(mn, mx, nBins + 1);
    edges[0] -= (mx - mn) * 0.001;
  }
  const bin = new Int32Array(G);
  for (let g = 0; g < G; g++) {
    // searchsorted(edges, x, 'left') - 1
    let lo = 0, hi = edges.length;
    while (lo < hi) { const mid = (lo + hi) >> 1; if (edges[mid] < means[g]) lo = mid + 1; else hi = mid; }
    bin[g] = lo - 1;
  }

  // 5. Per-bin mean (Kahan, as pandas group_mean) and sample std (Welford, as group_var), NaN skipped.
  const sum = new Float64Array(nBins), comp = new Float64Array(nBins), cnt = new Float64Array(nBins);
  const wMean = new Float64Array(nBins), m2 = new Float64Array(nBins);
  for (let g = 0; g < G; g++) {
    const v = dispersions[g], b = bin[g];
    if (Number.isNaN(v)) continue;
    const y = v - comp[b];
    const t = sum[b] + y;
    comp[b] = t - sum[b] - y;
    sum[b] = t;
    cnt[b]++;
    const old = wMean[b];
    wMean[b] += (v - old) / cnt[b];
    m2[b] += (v - wMean[b]) * (v - old);
  }
  const avg = new Float64Array(nBins), dev = new Float64Array(nBins);
  for (let b = 0; b < nBins; b++) {
    avg[b] = cnt[b] > 0 ? sum[b] / cnt[b] : NaN;
    dev[b] = cnt[b] > 1 ? Math.sqrt(m2[b] / (cnt[b] - 1)) : NaN;
    // A bin with < 2 usable dispersions: dev <- avg, avg <- 0 (single-gene bin -> disp_norm 1).
    if (Number.isNaN(dev[b])) { dev[b] = avg[b]; avg[b] = 0; }
  }

  // 6. Normalize.
  const dispersionsNorm = new Float64Array(G);
  for (let g = 0; g < G; g++) dispersionsNorm[g] = (dispersions[g] - avg[bin[g]]) / dev[bin[g]];

  // 7. Cutoff = n-th largest non-NaN value; select nan_to_num(x) >= cutoff (ties all kept).
  const finite = Array.from(dispersionsNorm).filter((v) => !Number.isNaN(v)).sort((a, b) => b - a);
  if (finite.length === 0) throw new ScmixError('INPUT_VALUE', `highlyVariableGenes: every gene's normalized dispersion is NaN (${G} genes, ${N} cells); is the data constant or empty?`);
  const nTop = Math.min(nTopReq, G, finite.length);
  const cutoff = finite[nTop - 1];
  const mask = new Uint8Array(G);
  let nSel = 0;
  for (let g = 0; g < G; g++) {
    let v = dispersionsNorm[g];
    if (Number.isNaN(v)) v = nanSel ? 0 : -Infinity;
    else if (v === Infinity) v = MAX;
    else if (v === -Infinity) v = -MAX;
    if (v >= cutoff) { mask[g] = 1; nSel++; }
  }
  const indices = new Int32Array(nSel);
  for (let g = 0, j = 0; g < G; g++) if (mask[g]) indices[j++] = g;
  return { mask, indices, means, dispersions, dispersionsNorm, cutoff };
}

/** numpy.linspace(start, stop, num) with endpoint: i * step + start, last = stop. */
function linspace(start: number, stop: number, num: number): Float64Array {
  const out = new Float64Array(num);
  const step = (stop - start) / (num - 1);
  for (let i = 0; i < num; i++) out[i] = i * step + start;
  out[num - 1] = stop;
  return out;
}
