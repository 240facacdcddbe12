import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Rng, deriveSeed, hashUniform } from '../../src/data/rng.js';

test('same seed gives the same stream; different seeds differ', () => {
  const a = new Rng(42), b = new Rng(42), c = new Rng(43);
  const sa = Array.from({ length: 8 }, () => a.nextU32());
  const sb = Array.from({ length: 8 }, () => b.nextU32());
  const sc = Array.from({ length: 8 }, () => c.nextU32());
  assert.deepEqual(sa, sb);
  assert.notDeepEqual(sa, sc);
});

test('stream is pinned (changing the generator changes every corpus: bump formatVersion then)', () => {
  const r = new Rng(0);
  assert.deepEqual(Array.from({ length: 3 }, () => r.nextU32()), PINNED);
});
const PINNED = [3809008728,1133695204,53579671];

test('uniform is in [0,1) with mean ~0.5 and variance ~1/12', () => {
  const r = new Rng(1);
  let s = 0, s2 = 0;
  const n = 200000;
  for (let i = 0; i < n; i++) { const u = r.uniform(); assert.ok(u >= 0 && u < 1); s += u; s2 += u * u; }
  const m = s / n;
  assert.ok(Math.abs(m - 0.5) < 0.005);
  assert.ok(Math.abs(s2 / n - m * m - 1 / 12) < 0.002);
});

test('normal has mean 0 and variance 1', () => {
  const r = new Rng(2);
  let s = 0, s2 = 0;
  const n = 200000;
  for (let i = 0; i < n; i++) { const x = r.normal(); s += x; s2 += x * x; }
  assert.ok(Math.abs(s / n) < 0.01);
  assert.ok(Math.abs(s2 / n - 1) < 0.02);
});

test('int is unbiased over a small range', () => {
  const r = new Rng(3);
  const counts = new Array(7).fill(0);
  for (let i = 0; i < 70000; i++) counts[r.int(7)]++;
  for (const c of counts) assert.ok(Math.abs(c - 10000) < 400, `count ${c}`);
});

test('sampleWithoutReplacement returns k sorted distinct values and covers the range uniformly', () => {
  const r = new Rng(4);
  const hits = new Array(50).fill(0);
  for (let t = 0; t < 2000; t++) {
    const s = r.sampleWithoutReplacement(50, 10);
    assert.equal(s.length, 10);
    for (let i = 1; i < s.length; i++) assert.ok(s[i] > s[i - 1]);
    for (const v of s) hits[v]++;
  }
  for (const h of hits) assert.ok(Math.abs(h - 400) < 90, `hits ${h}`);
  assert.throws(() => r.sampleWithoutReplacement(5, 6), /cannot sample 6 of 5/);
});

test('permutation is a permutation', () => {
  const p = new Rng(5).permutation(1000);
  assert.deepEqual(Array.from(p).sort((a, b) => a - b), Array.from({ length: 1000 }, (_, i) => i));
});

test('gamma and poisson have the right means', () => {
  const r = new Rng(6);
  let g = 0, p = 0, pl = 0;
  const n = 50000;
  for (let i = 0; i < n; i++) { g += r.gamma(2.5); p += r.poisson(3.2); pl += r.poisson(75); }
  assert.ok(Math.abs(g / n - 2.5) < 0.05);
  assert.ok(Math.abs(p / n - 3.2) < 0.05);
  assert.ok(Math.abs(pl / n - 75) < 0.3);
});

test('fork and deriveSeed give stable, label-dependent children', () => {
  assert.equal(deriveSeed(7, 'split'), deriveSeed(7, 'split'));
  assert.notEqual(deriveSeed(7, 'split'), deriveSeed(7, 'init'));
  assert.notEqual(deriveSeed(7, 'split'), deriveSeed(8, 'split'));
  assert.equal(new Rng(7).fork('a').nextU32(), new Rng(7).fork('a').nextU32());
});

test('hashUniform is stateless, in [0,1) and roughly uniform', () => {
  assert.equal(hashUniform(9, 123), hashUniform(9, 123));
  let s = 0;
  for (let i = 0; i < 100000; i++) { const u = hashUniform(9, i); assert.ok(u >= 0 && u < 1); s += u; }
  assert.ok(Math.abs(s / 100000 - 0.5) < 0.005);
});
