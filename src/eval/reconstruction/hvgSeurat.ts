/**
 * scanpy 1.10.2 `highly_variable_genes(flavor='seurat', n_top_genes)` (ldvae-spec 6.3), computed
 * from per-gene moments so the eval set can be streamed in row blocks: pass 1 accumulates
 * Σ expm1(x) and Σ expm1(x)² per gene from log1p-CP10k blocks, `selectHvgSeurat` then applies the
 * binning and selection rules. data/highlyVariableGenes works on a whole in-memory matrix; this
 * is the streaming form of the same rules (the reference test checks both give the HVG set of
 * ldvae_ref.hvg_seurat).
 */

/** Running per-gene sums of the un-logged values (float64 accumulators, float32 squares as scanpy). */
export interface HvgMoments {
  nCells: number;
  s1: Float64Array; // [G]
  s2: Float64Array; // [G]
}

export function createHvgMoments(nGenes: number): HvgMoments {
  return { nCells: 0, s1: new Float64Array(nGenes), s2: new Float64Array(nGenes) };
}

/** Add one block of log1p-CP10k values (CSR over the model genes). */
export function accumulateHvgMoments(m: HvgMoments, nRows: number, indices: Int32Array, data: Float32Array, nnz: number): void {
  for (let k = 0; k < nnz; k++) {
    const v = Math.fround(Math.expm1(data[k]!)); // scanpy undoes the log in float32
    const g = indices[k]!;
    m.s1[g] += v;
    m.s2[g] += Math.fround(v * v);
  }
  m.nCells += nRows;
}

export interface HvgSelection {
  /** selected gene columns, ascending (scanpy keeps the original order with subset=True) */
  columns: Int32Array;
  /** dispersions_norm per gene ([G], NaN for constant genes) */
  dispersionsNorm: Float64Array;
  /** genes with a finite normalised dispersion (the ones scanpy can rank) */
  nVariable: number;
  /** set when fewer than nTop genes are variable: all variable genes are used instead */
  warning?: string;
}

/**
 * Apply the seurat rules to accumulated moments.
 * Rule chosen where scanpy is degenerate: when fewer than `nTop` genes have a finite normalised
 * dispersion, scanpy <= 1.10.2 would also pick NaN (constant, e.g. zero-padded) genes through
 * nan_to_num; we instead keep exactly the variable genes and return a warning.
 */
export function selectHvgSeurat(m: HvgMoments, nTop: number, nBins = 20): HvgSelection {
  const G = m.s1.length;
  const n = m.nCells;
  const mean = new Float64Array(G);
  const disp = new Float64Array(G);
  for (let g = 0; g < G; g++) {
    let mu = m.s1[g]! / n;
    const v = (m.s2[g]! / n - mu * mu) * (n / (n - 1));
    if (mu === 0) mu = 1e-12;
    let d = v / mu;
    if (d === 0) d = NaN;
    disp[g] = Math.log(d);
    mean[g] = Math.log1p(mu);
  }
  const bin = cutEqualWidth(mean, nBins);
  // per-bin mean and sample sd of the non-NaN dispersions
  const cnt = new Float64Array(nBins);
  const sum = new Float64Array(nBins);
  for (let g = 0; g < G; g++) {
    if (!Number.isNaN(disp[g]!)) {
      cnt[bin[g]!]++;
      sum[bin[g]!] += disp[g]!;
    }
  }
  const avg = new Float64Array(nBins);
  const dev = new Float64Array(nBins);
  for (let b = 0; b < nBins; b++) avg[b] = cnt[b]! > 0 ? sum[b]! / cnt[b]! : NaN;
  const ss = new Float64Array(nBins);
  for (let g = 0; g < G; g++) {
    if (!Number.isNaN(disp[g]!)) {
      const d = disp[g]! - avg[bin[g]!]!;
      ss[bin[g]!] += d * d;
    }
  }
  for (let b = 0; b < nBins; b++) {
    dev[b] = cnt[b]! > 1 ? Math.sqrt(ss[b]! / (cnt[b]! - 1)) : NaN;
    if (Number.isNaN(dev[b]!)) {
      dev[b] = avg[b]!; // single-gene bin: disp_norm = 1 (all-NaN bin stays NaN)
      avg[b] = 0;
    }
  }
  const dn = new Float64Array(G);
  for (let g = 0; g < G; g++) dn[g] = (disp[g]! - avg[bin[g]!]!) / dev[bin[g]!]!;

  const finite: number[] = [];
  for (let g = 0; g < G; g++) if (!Number.isNaN(dn[g]!)) finite.push(dn[g]!);
  const nVariable = finite.length;
  const want = Math.min(nTop, G);
  const cols: number[] = [];
  let warning: string | undefined;
  if (nVariable < want) {
    for (let g = 0; g < G; g++) if (!Number.isNaN(dn[g]!)) cols.push(g);
    warning = `only ${nVariable} genes vary in this eval set (asked for ${want} HVGs): using all ${nVariable}`;
  } else {
    finite.sort((a, b) => b - a);
    const cutoff = finite[want - 1]!;
    for (let g = 0; g < G; g++) if (nanToNum(dn[g]!) >= cutoff) cols.push(g);
  }
  return { columns: Int32Array.from(cols), dispersionsNorm: dn, nVariable, warning };
}

function nanToNum(x: number): number {
  if (Number.isNaN(x)) return 0;
  if (x === Infinity) return Number.MAX_VALUE;
  if (x === -Infinity) return -Number.MAX_VALUE;
  return x;
}

/** pandas.cut(x, bins=n) codes: equal-width right-closed bins with the first edge nudged down 0.1 %. */
export function cutEqualWidth(x: Float64Array, nBins: number): Int32Array {
  let mn = Infinity;
  let mx = -Infinity;
  for (const v of x) {
    if (v < mn) mn = v;
    if (v > mx) mx = v;
  }
  const edges = new Float64Array(nBins + 1);
  if (mn === mx) {
    mn -= mn !== 0 ? 0.001 * Math.abs(mn) : 0.001;
    mx += mx !== 0 ? 0.001 * Math.abs(mx) : 0.001;
    linspace(mn, mx, edges);
  } else {
    linspace(mn, mx, edges);
    edges[0] -= (mx - mn) * 0.001;
  }
  const out = new Int32Array(x.length);
  for (let i = 0; i < x.length; i++) {
    // searchsorted(edges, v, 'left') - 1
    let lo = 0;
    let hi = edges.length;
    const v = x[i]!;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (edges[mid]! < v) lo = mid + 1;
      else hi = mid;
    }
    out[i] = Math.min(nBins - 1, Math.max(0, lo - 1));
  }
  return out;
}

/** numpy.linspace(start, stop, n) with endpoint: i*step + start, last edge exactly stop. */
function linspace(start: number, stop: number, out: Float64Array): void {
  const div = out.length - 1;
  const step = (stop - start) / div;
  for (let i = 0; i < out.length; i++) out[i] = i * step + start;
  out[div] = stop;
}
