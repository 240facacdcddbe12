import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { readFileSync } from 'node:fs';
import { createBackend, referenceBackend, Tape, type Backend } from '../../../../src/engine/index.js';
import { loadGeneformer, maskTokens, mlmLoss, type TokenBatch } from '../../../../src/models/geneformer/bert/index.js';
import { Rng } from '../../../../src/data/rng.js';

// The same model on the fast backend (WASM SIMD) against the reference backend: logits and
// every parameter gradient of one masked-LM step. Skipped (with the reason) when only the
// reference backend loads.
const fixDir = fileURLToPath(new URL('../../../fixtures/bert/', import.meta.url));
const expected = JSON.parse(readFileSync(join(fixDir, 'expected.json'), 'utf8'));
const batch: TokenBatch = { B: expected.B, T: expected.T, ids: Int32Array.from(expected.ids), lengths: Int32Array.from(expected.lengths) };

let fast: Backend | undefined;
try {
  const b = await createBackend({ kind: 'wasm', threads: 2 });
  if (b.name !== 'reference') fast = b;
} catch {
  fast = undefined;
}

function grads(be: Backend, attentionImpl: 'gemm' | 'kernel') {
  const m = loadGeneformer(join(fixDir, 'tiny-hf'), be);
  const mb = maskTokens(batch, new Rng(3), { p: 0.4, vocabSize: m.config.vocabSize, maskTokenId: 1, padTokenId: 0 });
  const t = new Tape(be, { training: true, seed: 5 });
  const { loss } = mlmLoss(t, m.params, { ...m.config, hiddenDropoutProb: 0.1, attentionImpl }, mb.batch, mb.rows, mb.targets);
  const l = loss.data[0];
  t.backward(loss);
  const g = new Map(m.params.all.map((p) => [p.name, Float32Array.from(p.grad!)]));
  t.dispose();
  return { loss: l, g, logits: m.predictLogitsAll(batch) };
}

for (const impl of ['gemm', 'kernel'] as const) test(`fast backend (${impl} attention): logits match PyTorch to 1e-4 and every gradient matches the reference backend`, { skip: fast ? false : 'the WASM backend is not available' }, () => {
  const ref = grads(referenceBackend(), impl);
  const got = grads(fast!, impl);
  let d = 0;
  for (let i = 0; i < got.logits.length; i++) d = Math.max(d, Math.abs(got.logits[i] - expected.logits[i]));
  assert.ok(d < 1e-4, `${fast!.name} logits vs torch: ${d}`);
  assert.ok(Math.abs(got.loss - ref.loss) < 1e-5 * Math.max(1, ref.loss), `loss ${got.loss} vs ${ref.loss}`);
  for (const [name, gr] of ref.g) {
    const gf = got.g.get(name)!;
    let num = 0, den = 0;
    for (let i = 0; i < gr.length; i++) { num += (gf[i] - gr[i]) ** 2; den += gr[i] ** 2; }
    // key biases have a true gradient of 0 (softmax is shift-invariant): absolute floor for those
    assert.ok(Math.sqrt(num) <= 1e-4 * Math.sqrt(den) + 1e-5, `${name}: relative L2 diff ${Math.sqrt(num / Math.max(den, 1e-30))}`);
  }
});

test('fast backend: training is bit-identical with 1 and 2 threads', { skip: fast ? false : 'the WASM backend is not available' }, async () => {
  const { trainGeneformer } = await import('../../../../src/models/geneformer/bert/index.js');
  const cells = Array.from({ length: 40 }, (_, c) => Int32Array.from({ length: 10 + (c % 20) }, (_, i) => 2 + ((c * 13 + i * 7) % 28)));
  const src = { nCells: cells.length, length: (i: number) => cells[i].length, cell: (i: number) => cells[i] };
  const cfg = { model: { vocabSize: 30, hiddenSize: 64, numHiddenLayers: 2, numAttentionHeads: 2, intermediateSize: 96, maxPositionEmbeddings: 64 }, train: { batchSize: 8, maxSteps: 4, warmupSteps: 1 } };
  const weights: Float32Array[][] = [];
  for (const threads of [1, 2]) {
    const be = await createBackend({ kind: 'wasm', threads });
    const r = await trainGeneformer(src, cfg, { backend: be });
    weights.push(r.model.params.all.map((p) => Float32Array.from(p.data)));
  }
  weights[0].forEach((w, i) => assert.deepEqual(w, weights[1][i]));
});
