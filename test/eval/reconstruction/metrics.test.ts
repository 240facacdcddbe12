import assert from 'node:assert/strict';
import { test } from 'node:test';
import { log2FoldChange, pearson, seedAgreement, spearman, summarizeByGroup, summarizeValues, cutEqualWidth, jaccard, topLoadingGenes, loadingOverlap } from '../../../src/eval/reconstruction/index.js';

const close = (a: number, b: number, tol = 1e-12) => assert.ok(Math.abs(a - b) <= tol, `${a} vs ${b}`);

test('pearson on a toy vector matches the hand computation (r2 = 75/76)', () => {
  // a - mean = (-1, 0, 1); b - mean = (-7/3, -1/3, 8/3); Σab = 5, Σa² = 2, Σb² = 114/9
  const r = pearson([1, 2, 3], [2, 4, 7]);
  close(r, 5 / Math.sqrt(2 * (114 / 9)));
  close(r * r, 75 / 76);
  close(pearson([1, 2, 3], [3, 2, 1]), -1);
});

test('pearson is NaN for a constant cell (no epsilon, as numpy)', () => {
  assert.ok(Number.isNaN(pearson([0, 0, 0], [1, 2, 3])));
  assert.ok(Number.isNaN(pearson([1, 2, 3], [5, 5, 5])));
});

test('spearman uses average ranks for ties', () => {
  // ranks a = (1, 2.5, 2.5, 4), b = (1, 2, 3, 4): Pearson of those
  close(spearman([1, 2, 2, 3], [10, 20, 30, 40]), pearson([1, 2.5, 2.5, 4], [1, 2, 3, 4]));
  close(spearman([1, 2, 3], [1, 8, 27]), 1);
});

test('summaries: NaN counted and excluded; numpy linear quantiles', () => {
  const s = summarizeValues([0.1, 0.4, NaN, 0.2, 0.9]);
  assert.equal(s.n, 5);
  assert.equal(s.nNan, 1);
  close(s.median, 0.3);
  close(s.mean, 0.4);
  close(s.q25, 0.175); // position 0.75 between 0.1 and 0.2
  close(s.q75, 0.525); // position 2.25 between 0.4 and 0.9
  const all = summarizeValues([NaN]);
  assert.ok(Number.isNaN(all.median));
});

test('per-cell-type summaries', () => {
  const g = summarizeByGroup([0.5, 0.1, 0.7, 0.3, NaN], ['T', 'B', 'T', 'B', 'B']);
  assert.deepEqual([...g.keys()], ['T', 'B']);
  close(g.get('T')!.median, 0.6);
  close(g.get('B')!.median, 0.2);
  assert.equal(g.get('B')!.nNan, 1);
  assert.equal(g.get('B')!.n, 3);
});

test('log2 fold change vs baseline', () => {
  close(log2FoldChange(0.12, 0.03), 2);
  close(log2FoldChange(0.04, 0.38), Math.log2(0.04 / 0.38));
  assert.ok(Number.isNaN(log2FoldChange(0.1, 0)));
  assert.ok(Number.isNaN(log2FoldChange(0, 0.3)));
});

test('seed agreement pairs cells by id and drops NaN', () => {
  const a = { cells: ['c1', 'c2', 'c3', 'c4'], r2: [0.1, 0.2, 0.3, NaN] };
  const b = { cells: ['c3', 'c1', 'c2', 'c4', 'c5'], r2: [0.35, 0.1, 0.2, 0.5, 0.9] };
  const s = seedAgreement(a, b);
  assert.equal(s.n, 3);
  close(s.meanAbsDiff, 0.05 / 3);
  close(s.pearson, pearson([0.1, 0.2, 0.3], [0.1, 0.2, 0.35]));
  close(s.spearman, 1);
  close(s.medianA, 0.2);
});

test('pandas.cut equal-width bins: right-closed, first edge lowered', () => {
  // edges over [0, 10] with 5 bins: (-0.01, 2], (2, 4], (4, 6], (6, 8], (8, 10]
  const b = cutEqualWidth(Float64Array.from([0, 2, 2.0001, 4, 10, 7.9]), 5);
  assert.deepEqual([...b], [0, 0, 1, 1, 4, 3]);
  // constant input: all in one bin (the middle one after widening)
  const c = cutEqualWidth(Float64Array.from([3, 3, 3]), 20);
  assert.equal(new Set(c).size, 1);
});

test('top loading genes and Jaccard overlap', () => {
  const genes = ['a', 'b', 'c', 'd'];
  const L = [0.5, -1, 2, 0, -3, 1, 1, 2]; // [G=4, K=2]
  const t = topLoadingGenes(L, genes, 2);
  assert.deepEqual(t[0], { factor: 0, positive: ['b', 'd'], negative: ['c', 'a'] });
  assert.deepEqual(t[1], { factor: 1, positive: ['d', 'c'], negative: ['a', 'b'] });
  close(jaccard(['a', 'b', 'c'], ['b', 'c', 'd']), 0.5);
  const o = loadingOverlap(t, [{ factor: 0, positive: ['b', 'd'], negative: ['x', 'y'] }]);
  close(o.bestMatch[0]!, 2 / 6); // {b,d,c,a} vs {b,d,x,y}
});
