import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { ari, embeddingMetrics, graphConnectivity, knn, nmi, silhouetteBatch, silhouetteSamples, silhouetteScore, withScran } from '../../../src/eval/embedding/index.js';
import { Rng } from '../../../src/data/rng.js';

// sklearn 1.2 numbers: test/fixtures/tokenizer/make_fixtures.py (metrics())
const fx = JSON.parse(readFileSync('test/fixtures/tokenizer/metrics_sklearn.json', 'utf8')) as {
  clusterings: { a: number[]; b: number[]; nmi: number; ari: number }[];
  silhouette: { x: number[][]; labels: number[]; score: number; samples: number[] }[];
};
const close = (a: number, b: number, tol: number, what: string) => assert.ok(Math.abs(a - b) <= tol, `${what}: ${a} vs ${b}`);

test('NMI (arithmetic) and ARI equal sklearn on seeded random labelings', () => {
  for (const [k, c] of fx.clusterings.entries()) {
    close(nmi(c.a, c.b), c.nmi, 1e-12, `nmi case ${k}`);
    close(ari(c.a, c.b), c.ari, 1e-12, `ari case ${k}`);
  }
});

test('NMI / ARI edge cases: identical up to renaming = 1, independent = 0, single class both = 1', () => {
  assert.equal(nmi(['a', 'a', 'b', 'b'], [1, 1, 0, 0]), 1);
  assert.equal(ari(['a', 'a', 'b', 'b'], [1, 1, 0, 0]), 1);
  assert.equal(nmi([0, 0, 1, 1], [0, 1, 0, 1]), 0);
  // hand: contingency [[1,1],[1,1]]: index 0, expected (2*2)/6 = 2/3, max 2 -> (0-2/3)/(2-2/3) = -0.5
  close(ari([0, 0, 1, 1], [0, 1, 0, 1]), -0.5, 1e-15, 'ari');
  assert.equal(nmi([3, 3, 3], ['x', 'x', 'x']), 1);
});

test('silhouette samples and score equal sklearn (singleton label -> 0)', () => {
  for (const [k, c] of fx.silhouette.entries()) {
    const n = c.x.length;
    const d = c.x[0].length;
    const flat = c.x.flat();
    const s = silhouetteSamples(flat, n, d, c.labels);
    s.forEach((v, i) => close(v, c.samples[i], 1e-12, `case ${k} cell ${i}`));
    assert.equal(s[0], 0);
    close(silhouetteScore(flat, n, d, c.labels), c.score, 1e-12, `score ${k}`);
  }
});

test('silhouetteBatch by hand: one mixable group, one single-batch group skipped', () => {
  // group A: 4 cells on a line, batches interleaved; group B: all batch 0 -> skipped
  const x = [0, 1, 2, 3, 10, 11];
  const lab = ['A', 'A', 'A', 'A', 'B', 'B'];
  const bat = [0, 1, 0, 1, 0, 0];
  // batch silhouettes within A (1-D points 0,1,2,3; batch0 = {0,2}, batch1 = {1,3}):
  // p0: a=2, b=(1+3)/2=2 -> 0 ; p1: a=2, b=(1+1)/2=1 -> -0.5 ; p2: a=2, b=1 -> -0.5 ; p3: a=2, b=2 -> 0
  const expected = (1 + 0.5 + 0.5 + 1) / 4;
  close(silhouetteBatch(x, 6, 1, lab, bat), expected, 1e-15, 'silhouette_batch');
});

test('graph connectivity by hand on a kNN list', () => {
  // 5 cells, k = 1: 0->1, 1->0, 2->3, 3->4, 4->0 ; labels A A A B B
  const g = { k: 1, indices: Int32Array.from([1, 0, 3, 4, 0]), distances: new Float64Array(5) };
  // A: edges 0-1 (2->3 and 4->0 cross labels) -> largest {0,1} = 2/3 ; B: 3-4 -> 2/2
  close(graphConnectivity(g, ['A', 'A', 'A', 'B', 'B']), (2 / 3 + 1) / 2, 1e-15, 'graph_conn');
});

test('embeddingMetrics on three separated blobs: NMI = ARI = 1, graph_conn = 1; batches mixed', async () => {
  const rng = new Rng(3);
  const n = 90;
  const d = 5;
  const data = new Float64Array(n * d);
  const labels: string[] = [];
  const batches: string[] = [];
  for (let i = 0; i < n; i++) {
    const c = i % 3;
    labels.push(['T', 'B', 'NK'][c]);
    batches.push(i % 2 ? 'b1' : 'b2');
    for (let t = 0; t < d; t++) data[i * d + t] = (t === c ? 20 : 0) + rng.normal() * 0.5;
  }
  const m = await embeddingMetrics({ data, shape: [n, d] }, labels, batches);
  assert.equal(m.nCells, 90);
  close(m.nmi, 1, 1e-12, 'nmi');
  close(m.ari, 1, 1e-12, 'ari');
  assert.equal(m.graphConnectivity, 1);
  assert.equal(m.nClusters, 3);
  close(m.aswLabel, (silhouetteScore(data, n, d, labels) + 1) / 2, 1e-15, 'asw');
  assert.ok(m.aswLabel > 0.9, `ASW_label ${m.aswLabel}`);
  close(m.avgBio, (1 + 1 + m.aswLabel) / 3, 1e-12, 'avg_bio');
  // batches are random within blobs: batch ASW near 0.5, label/batch ASW near 1
  assert.ok(m.aswBatch !== null && Math.abs(m.aswBatch - 0.5) < 0.05, `ASW_batch ${m.aswBatch}`);
  assert.ok(m.aswLabelBatch !== null && m.aswLabelBatch > 0.9, `ASW_label/batch ${m.aswLabelBatch}`);
  // deterministic
  const again = await embeddingMetrics({ data, shape: [n, d] }, labels, batches);
  assert.deepEqual(again, m);
});

test('exact kNN through scran.js: self excluded, nearest first, distances by hand', async () => {
  // two clusters on lines: (0,0) (0,1) (0,3) and (10,10) (10,11) (10,13)
  const x = Float64Array.from([0, 0, 0, 1, 0, 3, 10, 10, 10, 11, 10, 13]);
  const g = await withScran((s) => knn(s, x, 6, 2, 2));
  assert.deepEqual([...g.indices], [1, 2, 0, 2, 1, 0, 4, 5, 3, 5, 4, 3]);
  assert.deepEqual([...g.distances], [1, 3, 1, 2, 2, 3, 1, 3, 1, 2, 2, 3]);
  // labels = the two clusters -> each label's subgraph is connected
  assert.equal(graphConnectivity(g, ['a', 'a', 'a', 'b', 'b', 'b']), 1);
  // label a = {0, 2}: edge 0->2 exists -> 1; label c = {1} alone -> 1
  assert.equal(graphConnectivity(g, ['a', 'c', 'a', 'b', 'b', 'b']), 1);
});
