/**
 * Zero-shot rank reconstruction (`GeneExprPredEval._evaluate_Geneformer`, spec §8.3): the MLM
 * head's argmax token at every position of the unmasked input, scored against the input ranking.
 *
 * Per sampled cell with L tokens, position j gets score (L−1−j)/(L−1) (1 = top gene, 0 = last;
 * L = 1 gives 0). Predicted tokens take the mean score of the positions predicting them. Input
 * and prediction are outer-joined on token (missing side = 0). `mean_rank` of a token is the mean
 * of its non-zero input scores over the sampled cells. Per cell: correlation =
 * Pearson(input, output), mean_correlation = Pearson(input, mean_rank) (the baseline).
 *
 * Fixed relative to upstream: the sample is seeded, and asking for >= N cells uses all cells
 * instead of crashing. A Pearson over < 2 rows or a constant side is NaN and is left out of the
 * summary counts (as pandas describe() does).
 */
import { Rng } from '../../data/index.js';
import { ScmixError } from '../../errors.js';

/** Predicted token at each input position, per cell (argmax over the vocabulary). */
export type ArgmaxPredictor = (cells: readonly Int32Array[]) => Promise<Int32Array[]> | Int32Array[];

/** Cells to evaluate: a token dataset or anything shaped like one. */
export interface RankEvalCells {
  readonly nCells: number;
  cell(i: number): Int32Array;
  readonly obs: { readonly index: readonly string[] };
}

export interface RankPredictionOptions {
  /** cells sampled (default 500 as the study); null or >= nCells = all cells */
  nCells?: number | null;
  seed?: number;
  /** cells per predictor call */
  batchSize?: number;
  /** also return the joined per-token rows (upstream's rankings.csv.gz) */
  keepRankings?: boolean;
  onProgress?: (done: number, total: number) => void;
}

/** One joined row: a token of a sampled cell (input and/or predicted). */
export interface RankingRow {
  token: number;
  cell: string;
  inputRank: number;
  outputRank: number;
  meanRank: number;
}

/** pandas `describe()` of one column. */
export interface Describe {
  count: number;
  mean: number;
  std: number;
  min: number;
  q25: number;
  q50: number;
  q75: number;
  max: number;
}

export interface RankPredictionResult {
  /** rows of the sampled cells, in dataset order */
  perCell: { cell: string; index: number; length: number; correlation: number; meanCorrelation: number }[];
  summary: { correlation: Describe; meanCorrelation: Describe };
  nSampled: number;
  seed: number;
  /** with keepRankings */
  rankings?: RankingRow[];
}

/**
 * Run the rank-prediction metric.
 * @throws NOT_ENOUGH_CELLS for an empty dataset; SHAPE_MISMATCH when the predictor returns a
 *   different number of cells or positions than it was given
 */
export async function rankPredictionEval(cells: RankEvalCells, predict: ArgmaxPredictor, opts: RankPredictionOptions = {}): Promise<RankPredictionResult> {
  const N = cells.nCells;
  if (N === 0) throw new ScmixError('NOT_ENOUGH_CELLS', 'rank prediction: the token dataset has no cells');
  const seed = opts.seed ?? 0;
  const want = opts.nCells === undefined ? 500 : opts.nCells;
  const sample = want === null || want >= N ? Int32Array.from({ length: N }, (_, i) => i) : new Rng(seed).sampleWithoutReplacement(N, want);
  const bs = Math.max(1, opts.batchSize ?? 8);

  // per sampled cell: input tokens, input scores, predicted token -> mean score
  const inputs: Int32Array[] = [];
  const outRank: Map<number, number>[] = [];
  for (let s = 0; s < sample.length; s += bs) {
    const batch = Array.from(sample.subarray(s, s + bs), (i) => cells.cell(i));
    const pred = await predict(batch);
    if (pred.length !== batch.length) throw new ScmixError('SHAPE_MISMATCH', `predictor returned ${pred.length} cells for ${batch.length}`);
    batch.forEach((ids, b) => {
      const p = pred[b];
      if (p.length < ids.length) throw new ScmixError('SHAPE_MISMATCH', `predictor returned ${p.length} positions for a cell of ${ids.length} tokens`);
      const sum = new Map<number, [number, number]>();
      for (let j = 0; j < ids.length; j++) {
        const acc = sum.get(p[j]) ?? [0, 0];
        acc[0] += score(j, ids.length);
        acc[1]++;
        sum.set(p[j], acc);
      }
      inputs.push(ids);
      outRank.push(new Map([...sum].map(([t, [a, c]]) => [t, a / c])));
    });
    opts.onProgress?.(Math.min(s + bs, sample.length), sample.length);
  }

  // mean_rank over the sampled cells: mean of the non-zero input scores per token
  const meanAcc = new Map<number, [number, number]>();
  inputs.forEach((ids) => {
    for (let j = 0; j < ids.length; j++) {
      const v = score(j, ids.length);
      if (v > 0) {
        const a = meanAcc.get(ids[j]) ?? [0, 0];
        a[0] += v;
        a[1]++;
        meanAcc.set(ids[j], a);
      }
    }
  });
  const meanRank = (t: number) => {
    const a = meanAcc.get(t);
    return a ? a[0] / a[1] : 0;
  };

  const rankings: RankingRow[] | undefined = opts.keepRankings ? [] : undefined;
  const perCell = inputs.map((ids, k) => {
    const inp: number[] = [];
    const out: number[] = [];
    const mr: number[] = [];
    const inSet = new Set<number>();
    for (let j = 0; j < ids.length; j++) {
      inSet.add(ids[j]);
      inp.push(score(j, ids.length));
      out.push(outRank[k].get(ids[j]) ?? 0);
      mr.push(meanRank(ids[j]));
    }
    for (const [t, v] of outRank[k]) {
      if (inSet.has(t)) continue;
      inp.push(0);
      out.push(v);
      mr.push(meanRank(t));
    }
    const i = sample[k];
    if (rankings) {
      const cell = cells.obs.index[i];
      const toks = [...ids, ...[...outRank[k].keys()].filter((t) => !inSet.has(t))];
      toks.forEach((token, r) => rankings.push({ token, cell, inputRank: inp[r], outputRank: out[r], meanRank: mr[r] }));
    }
    return { cell: cells.obs.index[i], index: i, length: ids.length, correlation: pearson(inp, out), meanCorrelation: pearson(inp, mr) };
  });
  return {
    perCell,
    summary: { correlation: describe(perCell.map((c) => c.correlation)), meanCorrelation: describe(perCell.map((c) => c.meanCorrelation)) },
    nSampled: sample.length,
    seed,
    rankings,
  };
}

function score(j: number, L: number): number {
  return L > 1 ? (L - 1 - j) / (L - 1) : 0;
}

/**
 * Pearson correlation; NaN for < 2 values or a constant side. Written as pandas/numpy corrcoef
 * (sxy / sqrt(sxx * syy)) so the rank metric matches upstream to the last bit; the reconstruction
 * metric's `pearson` follows the study's row-wise form (sxy / (sqrt(sxx) * sqrt(syy))) instead.
 */
export function pearson(x: ArrayLike<number>, y: ArrayLike<number>): number {
  if (x.length < 2) return NaN;
  const { sxx, syy, sxy } = centredSums(x, y);
  if (sxx === 0 || syy === 0) return NaN;
  return sxy / Math.sqrt(sxx * syy);
}

/**
 * Centred sums of squares and cross-products of paired samples (two passes, float64): the rank
 * Pearson and the rank KDE's bandwidth (rankKde.ts) are both built on them.
 */
export function centredSums(x: ArrayLike<number>, y: ArrayLike<number>): { sxx: number; syy: number; sxy: number } {
  const n = x.length;
  let mx = 0;
  let my = 0;
  for (let i = 0; i < n; i++) {
    mx += x[i];
    my += y[i];
  }
  mx /= n;
  my /= n;
  let sxy = 0;
  let sxx = 0;
  let syy = 0;
  for (let i = 0; i < n; i++) {
    const a = x[i] - mx;
    const b = y[i] - my;
    sxy += a * b;
    sxx += a * a;
    syy += b * b;
  }
  return { sxx, syy, sxy };
}

/** pandas describe(): NaN dropped, std with ddof = 1, quantiles by linear interpolation. */
export function describe(values: readonly number[]): Describe {
  const v = values.filter((x) => !Number.isNaN(x)).sort((a, b) => a - b);
  const n = v.length;
  const q = (p: number) => {
    if (n === 0) return NaN;
    const pos = (n - 1) * p;
    const lo = Math.floor(pos);
    const hi = Math.min(n - 1, lo + 1);
    return v[lo] + (v[hi] - v[lo]) * (pos - lo);
  };
  const mean = n ? v.reduce((a, b) => a + b, 0) / n : NaN;
  const std = n > 1 ? Math.sqrt(v.reduce((a, b) => a + (b - mean) * (b - mean), 0) / (n - 1)) : NaN;
  return { count: n, mean, std, min: n ? v[0] : NaN, q25: q(0.25), q50: q(0.5), q75: q(0.75), max: n ? v[n - 1] : NaN };
}

/** The summary as the 8 x 2 table upstream writes (`zero_shot_correlations_metrics_<name>.csv`). */
export function rankPredictionSummaryCsv(r: RankPredictionResult): string {
  const c = r.summary.correlation;
  const m = r.summary.meanCorrelation;
  const rows: [string, keyof Describe][] = [
    ['count', 'count'],
    ['mean', 'mean'],
    ['std', 'std'],
    ['min', 'min'],
    ['25%', 'q25'],
    ['50%', 'q50'],
    ['75%', 'q75'],
    ['max', 'max'],
  ];
  return ',correlation,mean_correlation\n' + rows.map(([name, k]) => `${name},${fmt(c[k])},${fmt(m[k])}`).join('\n') + '\n';
}

/** Per-cell table: cell,length,correlation,mean_correlation (NaN written empty). */
export function rankPredictionPerCellCsv(r: RankPredictionResult): string {
  return 'cell,length,correlation,mean_correlation\n' + r.perCell.map((c) => `${csvField(c.cell)},${c.length},${fmt(c.correlation)},${fmt(c.meanCorrelation)}`).join('\n') + '\n';
}

/** Upstream's rankings table: token,sample_id,input_rank,output_rank,mean_rank (needs keepRankings). */
export function rankPredictionRankingsCsv(r: RankPredictionResult): string {
  if (!r.rankings) throw new ScmixError('INTERNAL', 'rankings were not kept (pass keepRankings: true)');
  return 'token,sample_id,input_rank,output_rank,mean_rank\n' + r.rankings.map((x) => `${x.token},${csvField(x.cell)},${x.inputRank},${x.outputRank},${x.meanRank}`).join('\n') + '\n';
}

function fmt(v: number): string {
  return Number.isNaN(v) ? '' : String(v);
}
function csvField(s: string): string {
  return /[",\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}
