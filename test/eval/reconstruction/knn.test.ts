import assert from 'node:assert/strict';
import { test } from 'node:test';
import { knnLabelTransfer } from '../../../src/eval/reconstruction/index.js';

test('kNN label transfer: leave-one-out accuracy by hand', async () => {
  // cluster A around (0,0): 6 points; cluster B around (10,10): 6 points; one B-labelled point sits in A
  const pts: [number, number, string][] = [];
  for (let i = 0; i < 6; i++) pts.push([i * 0.1, (i % 2) * 0.1, 'A']);
  for (let i = 0; i < 6; i++) pts.push([10 + i * 0.1, 10 + (i % 3) * 0.1, 'B']);
  pts.push([0.25, 0.05, 'B']);
  const emb = Float64Array.from(pts.flatMap(([x, y]) => [x, y]));
  const r = await knnLabelTransfer(emb, 2, pts.map((p) => p[2]), { k: 3 });
  // every A and every true-cluster B is right; the stray B gets 3 A neighbours -> wrong
  assert.equal(r.n, 13);
  assert.equal(r.accuracy, 12 / 13);
  assert.deepEqual(r.perLabel, { A: { n: 6, accuracy: 1 }, B: { n: 7, accuracy: 6 / 7 } });
});

test('kNN label transfer from reference to query cells; unknown labels ignored', async () => {
  const emb = Float64Array.from([0, 0, 0.1, 0, 0.2, 0, 5, 5, 5.1, 5, 5.2, 5, 0.05, 0.02, 5.05, 5.01, 9, 9]);
  const labels = ['A', 'A', 'A', 'B', 'B', 'B', 'A', 'A', 'unknown'];
  const isQuery = Uint8Array.from([0, 0, 0, 0, 0, 0, 1, 1, 0]);
  const r = await knnLabelTransfer(emb, 2, labels, { k: 3, isQuery });
  // query 6 sits in A (right), query 7 sits in B but is labelled A (wrong)
  assert.equal(r.n, 2);
  assert.equal(r.accuracy, 0.5);
});
