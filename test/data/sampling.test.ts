import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Rng, splitCells, sampleCells, assertCounts, isCountMatrix, highlyVariableGenes } from '../../src/data/index.js';
import { ScmixError } from '../../src/errors.js';
import { csrOf } from './toy.js';

test('splitCells: disjoint, covering, sorted, sizes floor(0.8n)/floor(0.1n)/rest, seeded', () => {
  const s = splitCells(1003, new Rng(5));
  assert.equal(s.train.length, 802);
  assert.equal(s.val.length, 100);
  assert.equal(s.test.length, 101);
  const all = [...s.train, ...s.val, ...s.test].sort((x, y) => x - y);
  assert.deepEqual(all, Array.from({ length: 1003 }, (_, i) => i));
  for (const part of [s.train, s.val, s.test]) for (let i = 1; i < part.length; i++) assert.ok(part[i] > part[i - 1]);
  assert.deepEqual(splitCells(1003, new Rng(5)), s);
  assert.notDeepEqual(splitCells(1003, new Rng(6)).train, s.train);
  assert.throws(() => splitCells(10, new Rng(1), { train: 0.95, val: 0.1 }), (e: ScmixError) => e.code === 'CONFIG_INVALID');
});

test('sampleCells: k distinct sorted cells, same seed same cells', () => {
  const a = sampleCells(10000, 100, new Rng(3));
  assert.equal(new Set(a).size, 100);
  assert.deepEqual(a, sampleCells(10000, 100, new Rng(3)));
  assert.throws(() => sampleCells(5, 6, new Rng(1)), (e: ScmixError) => e.code === 'CONFIG_INVALID');
});

test('assertCounts names the source, the cell and the gene; one error per kind of bad value', () => {
  const names = { source: 'data/x.h5ad', obsNames: ['AAAC-1', 'TTTG-1'], varNames: ['CD3E', 'MS4A1'] };
  assertCounts(csrOf([[1, 0], [0, 7]]), names);
  assert.equal(isCountMatrix(csrOf([[1, 0.5]])), false);
  const cases: [number, RegExp][] = [[2.5, /not a whole number/], [NaN, /NaN/], [-1, /negative/], [Infinity, /infinite/]];
  for (const [v, re] of cases) {
    assert.throws(
      () => assertCounts(csrOf([[1, 0], [0, v]]), names),
      (e: ScmixError) => e.code === 'INPUT_VALUE' && re.test(e.message) && /data\/x\.h5ad/.test(e.message) && /"TTTG-1"/.test(e.message) && /"MS4A1"/.test(e.message),
    );
  }
});

test('HVG rules by hand: single-gene bin -> disp_norm 1, all-NaN bin -> NaN, ties at the cutoff all kept', () => {
  // 4 cells; after expm1 the columns are: g0 constant 1 (var 0 -> disp NaN), g1/g2 identical
  // (equal dispersions: a tie), g3 large mean alone in the top bin.
  const e = (v: number) => Math.log1p(v);
  const X = csrOf([
    [e(1), e(1), e(1), e(100)],
    [e(1), e(3), e(3), e(300)],
    [e(1), e(1), e(1), e(100)],
    [e(1), e(3), e(3), e(500)],
  ]);
  const h = highlyVariableGenes(X, { nTop: 1, nBins: 20 });
  assert.ok(Number.isNaN(h.dispersions[0]));
  assert.equal(h.dispersionsNorm[3], 1);
  // g1 and g2 share a bin of exactly two equal values: std 0 -> (d - avg) / 0 = NaN (0/0)
  assert.ok(Number.isNaN(h.dispersionsNorm[1]) && Number.isNaN(h.dispersionsNorm[2]));
  // cutoff = 1 (only non-NaN value); NaN -> 0 < 1 so only g3
  assert.deepEqual(Array.from(h.indices), [3]);
  // by hand: mean and unbiased var of g3 after expm1 = 100,300,100,500
  const m = 250, v = ((100 - m) ** 2 + (300 - m) ** 2 + (100 - m) ** 2 + (500 - m) ** 2) / 3;
  // (inputs pass through float32 log1p/expm1, so ~1e-7 relative noise)
  assert.ok(Math.abs(h.means[3] - Math.log1p(m)) < 1e-5);
  assert.ok(Math.abs(h.dispersions[3] - Math.log(v / m)) < 1e-5);
  // ties: two identical genes share the top disp_norm (0.57735, reference value); asking for 1 returns both
  const T = csrOf([
    [e(1), e(1), e(2)],
    [e(3), e(3), e(2)],
    [e(1), e(1), e(3)],
    [e(3), e(3), e(1)],
  ]);
  const ht = highlyVariableGenes(T, { nTop: 1, nBins: 1 });
  assert.deepEqual(Array.from(ht.indices), [0, 1]);
  assert.ok(Math.abs(ht.dispersionsNorm[0] - 0.57735027) < 1e-6 && Math.abs(ht.dispersionsNorm[2] + 1.15470054) < 1e-6);
});
