import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { kde2d, rankKdeSvg, rankPredictionEval, rankPredictionRankingsCsv, rankPredictionSummaryCsv, type RankEvalCells } from '../../../src/eval/embedding/index.js';

const ds = (cells: number[][]): RankEvalCells => ({
  nCells: cells.length,
  cell: (i) => Int32Array.from(cells[i]),
  obs: { index: cells.map((_, i) => `c${i}`) },
});
const close = (a: number, b: number, what: string) => assert.ok(Math.abs(a - b) <= 1e-12, `${what}: ${a} vs ${b}`);

test('hand-computed: identity cell r = 1, all-8 cell r = -0.5, baselines 6/sqrt(39) and 1/sqrt(13), L = 1 -> NaN', async () => {
  const cells = [[5, 6, 7], [6, 5], [9]];
  // fake predictor: cell 0 predicts itself, cell 1 predicts token 8 everywhere, cell 2 itself
  const fake = (batch: readonly Int32Array[]) => batch.map((ids) => (ids[0] === 6 ? Int32Array.from([8, 8]) : ids.slice()));
  const r = await rankPredictionEval(ds(cells), fake, { nCells: 500, batchSize: 2, keepRankings: true }); // 500 >= 3 cells: all cells, no crash
  assert.equal(r.nSampled, 3);
  close(r.perCell[0].correlation, 1, 'c0');
  close(r.perCell[1].correlation, -0.5, 'c1');
  close(r.perCell[0].meanCorrelation, 6 / Math.sqrt(39), 'c0 mean');
  close(r.perCell[1].meanCorrelation, 1 / Math.sqrt(13), 'c1 mean');
  assert.ok(Number.isNaN(r.perCell[2].correlation));
  const s = r.summary.correlation;
  assert.equal(s.count, 2);
  close(s.mean, 0.25, 'mean');
  close(s.std, Math.sqrt(2 * 0.75 * 0.75), 'std');
  close(s.q25, -0.125, 'q25');
  close(s.q75, 0.625, 'q75');
  assert.match(rankPredictionSummaryCsv(r), /^,correlation,mean_correlation\ncount,2,2\nmean,0.25,/);
  // joined rows of cell c1: its input tokens 6 (1.0), 5 (0.0), then predicted-only token 8
  assert.deepEqual(
    r.rankings!.filter((x) => x.cell === 'c1'),
    [
      { token: 6, cell: 'c1', inputRank: 1, outputRank: 0, meanRank: 0.75 },
      { token: 5, cell: 'c1', inputRank: 0, outputRank: 0, meanRank: 1 },
      { token: 8, cell: 'c1', inputRank: 0, outputRank: 0.5, meanRank: 0 },
    ],
  );
  assert.match(rankPredictionRankingsCsv(r), /^token,sample_id,input_rank,output_rank,mean_rank\n5,c0,1,1,1\n/);
});

test('equals a pandas transcription of GeneExprPredEval on 30 random cells (duplicates, L = 1, foreign tokens)', async () => {
  const fx = JSON.parse(readFileSync('test/fixtures/tokenizer/rank_eval_pandas.json', 'utf8')) as {
    cells: number[][];
    preds: number[][];
    perCell: { cell: string; correlation: number | null; mean_correlation: number | null }[];
    describe: Record<'correlation' | 'mean_correlation', Record<string, number | null>>;
  };
  const byFirst = new Map(fx.cells.map((c, i) => [c.join(','), fx.preds[i]]));
  const fake = (batch: readonly Int32Array[]) => batch.map((ids) => Int32Array.from(byFirst.get([...ids].join(','))!));
  const r = await rankPredictionEval(ds(fx.cells), fake, { nCells: null, batchSize: 7 });
  r.perCell.forEach((c, i) => {
    const e = fx.perCell[i];
    for (const [got, want, what] of [[c.correlation, e.correlation, 'corr'], [c.meanCorrelation, e.mean_correlation, 'mean corr']] as const) {
      if (want === null) assert.ok(Number.isNaN(got), `${e.cell} ${what} should be NaN`);
      else close(got, want, `${e.cell} ${what}`);
    }
  });
  const keys: [string, keyof typeof r.summary.correlation][] = [['count', 'count'], ['mean', 'mean'], ['std', 'std'], ['min', 'min'], ['25%', 'q25'], ['50%', 'q50'], ['75%', 'q75'], ['max', 'max']];
  for (const [pk, k] of keys) {
    close(r.summary.correlation[k], fx.describe.correlation[pk]!, `correlation ${pk}`);
    close(r.summary.meanCorrelation[k], fx.describe.mean_correlation[pk]!, `mean_correlation ${pk}`);
  }
});

test('sampling is seeded: same seed same cells, subset size respected', async () => {
  const cells = Array.from({ length: 40 }, (_, i) => [2 + (i % 5), 10 + i, 60]);
  const id = (b: readonly Int32Array[]) => b.map((x) => x.slice());
  const a = await rankPredictionEval(ds(cells), id, { nCells: 10, seed: 4 });
  const b = await rankPredictionEval(ds(cells), id, { nCells: 10, seed: 4 });
  const c = await rankPredictionEval(ds(cells), id, { nCells: 10, seed: 5 });
  assert.equal(a.nSampled, 10);
  assert.deepEqual(a.perCell.map((x) => x.index), b.perCell.map((x) => x.index));
  assert.notDeepEqual(a.perCell.map((x) => x.index), c.perCell.map((x) => x.index));
});

test('kde2d equals scipy gaussian_kde (Scott) on 200 points; the figure has two 50x50 panels', async () => {
  const fx = JSON.parse(readFileSync('test/fixtures/tokenizer/kde_scipy.json', 'utf8')) as { x: number[]; y: number[]; gx: number[]; gy: number[]; density: number[] };
  const d = kde2d(fx.x, fx.y, fx.gx, fx.gy)!;
  fx.density.forEach((v, i) => assert.ok(Math.abs(d[i] - v) <= 1e-12 * Math.max(1, v), `point ${i}: ${d[i]} vs ${v}`));
  assert.equal(kde2d([0.5, 0.5, 0.5], [0, 1, 0.2], [0], [0]), null); // singular covariance, as scipy's LinAlgError
  const cells = Array.from({ length: 20 }, (_, i) => [2 + (i % 7), 10 + (i % 5), 20 + i, 40]);
  const r = await rankPredictionEval(ds(cells), (b) => b.map((x) => x.slice().reverse()), { nCells: null, keepRankings: true });
  const svg = rankKdeSvg(r.rankings!, { nCells: 10, seed: 1 });
  assert.equal((svg.match(/<rect x=/g) ?? []).length, 2 * 50 * 50 + 2);
  assert.match(svg, /\(10 cells\)/);
  assert.equal(svg, rankKdeSvg(r.rankings!, { nCells: 10, seed: 1 }));
});
