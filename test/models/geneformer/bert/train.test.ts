import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { tmpdir } from 'node:os';
import { referenceBackend } from '../../../../src/engine/backends/index.js';
import { trainGeneformer, loadGeneformer, maskTokens, padBatch, lengthGroupedBatches, type GeneformerConfigInput } from '../../../../src/models/geneformer/bert/index.js';
import { Rng } from '../../../../src/data/rng.js';
import { simulatedTokens, unigramEntropy, programEntropy } from './simulatedTokens.js';

const be = referenceBackend();
const tinyModel = { vocabSize: 24, hiddenSize: 32, numHiddenLayers: 2, numAttentionHeads: 2, intermediateSize: 64, maxPositionEmbeddings: 32 };

test('maskTokens: ~15% of real tokens, 80/10/10, never pads; deterministic in the seed', () => {
  const cells = Array.from({ length: 200 }, (_, c) => Int32Array.from({ length: 20 + (c % 30) }, (_, i) => 2 + ((c * 7 + i) % 90)));
  const batch = padBatch(cells);
  const opts = { p: 0.15, vocabSize: 100, maskTokenId: 1, padTokenId: 0 };
  const a = maskTokens(batch, new Rng(5), opts);
  const b = maskTokens(batch, new Rng(5), opts);
  assert.deepEqual(a.rows, b.rows);
  assert.deepEqual(a.batch.ids, b.batch.ids);
  let real = 0;
  for (const L of batch.lengths) real += L;
  const frac = a.rows.length / real;
  assert.ok(Math.abs(frac - 0.15) < 0.015, `masked fraction ${frac}`);
  let nMask = 0, nSame = 0;
  a.rows.forEach((k, j) => {
    assert.notEqual(batch.ids[k], 0, 'a pad position was selected');
    assert.equal(a.targets[j], batch.ids[k]);
    if (a.batch.ids[k] === 1) nMask++;
    else if (a.batch.ids[k] === batch.ids[k]) nSame++;
  });
  const n = a.rows.length;
  assert.ok(Math.abs(nMask / n - 0.8) < 0.04, `mask share ${nMask / n}`);
  // "unchanged" = 10% plus the random draws that hit the same id (1/100 of 10%)
  assert.ok(Math.abs(nSame / n - 0.101) < 0.03, `unchanged share ${nSame / n}`);
  // unselected positions are untouched
  const withSpecial = maskTokens(batch, new Rng(5), { ...opts, neverMask: [2, 3] });
  for (const k of withSpecial.rows) assert.ok(batch.ids[k] !== 2 && batch.ids[k] !== 3);
  assert.ok(a.rows.some((k) => batch.ids[k] === 2 || batch.ids[k] === 3), 'ids 2/3 are maskable by default');
  const sel = new Set(a.rows);
  for (let k = 0; k < batch.ids.length; k++) if (!sel.has(k)) assert.equal(a.batch.ids[k], batch.ids[k]);
});

test('lengthGroupedBatches: a partition of all cells, sorted by length within mega-batches, longest first', () => {
  const lengths = Array.from({ length: 103 }, (_, i) => (i * 37) % 101 + 1);
  const batches = lengthGroupedBatches(lengths, 4, 5, new Rng(3));
  const all = batches.flatMap((b) => [...b]).sort((x, y) => x - y);
  assert.deepEqual(all, Array.from({ length: 103 }, (_, i) => i));
  assert.equal(lengths[batches[0][0]], Math.max(...lengths));
  for (const b of batches) for (let i = 1; i < b.length; i++) assert.ok(lengths[b[i - 1]] >= lengths[b[i]]);
});

test('a tiny BERT on simulated cell-type programs learns: masked-LM loss well below the unigram entropy', async () => {
  const sim = { nCells: 256, vocabSize: 24, minLen: 12, maxLen: 24, nTypes: 4, programSize: 5, noise: 0.05, seed: 1 };
  const src = simulatedTokens(sim);
  const h = unigramEntropy(src.cells); // best context-free loss on these cells (exact, empirical)
  const floor = programEntropy(sim); // best loss knowing the cell type (exact, from the generator)
  const cfg: GeneformerConfigInput = {
    model: { ...tinyModel, hiddenDropoutProb: 0 },
    train: { batchSize: 16, epochs: 12, lr: 3e-3, warmupSteps: 20, weightDecay: 0.001, logEvery: 16, saveEvery: 1000, seed: 3 },
  };
  const losses: number[] = [];
  const res = await trainGeneformer(src, cfg, { backend: be, onStep: (s) => losses.push(s.loss) });
  assert.equal(res.steps, 12 * 16);
  const first = losses.slice(0, 16).reduce((a, b) => a + b) / 16;
  const last = losses.slice(-32).reduce((a, b) => a + b) / 32;
  // untrained: about log(V); trained: well below the best context-free predictor
  assert.ok(first > h, `first-epoch loss ${first} vs unigram entropy ${h}`);
  // "well below": at least 60% of the way from the unigram baseline down to the oracle floor
  assert.ok(last < floor + 0.4 * (h - floor), `final loss ${last.toFixed(3)}: unigram ${h.toFixed(3)}, floor ${floor.toFixed(3)}`);
  console.log(`# unigram entropy ${h.toFixed(3)} nats, type-oracle floor ${floor.toFixed(3)}; loss epoch 1 ${first.toFixed(3)} -> last 2 epochs ${last.toFixed(3)}`);
});

test('resume after an interruption gives the same final weights as an uninterrupted run', async () => {
  const src = simulatedTokens({ nCells: 40, vocabSize: 24, minLen: 5, maxLen: 16, nTypes: 3, programSize: 6, noise: 0.1, seed: 2 });
  const cfg: GeneformerConfigInput = { model: tinyModel, train: { batchSize: 8, epochs: 3, warmupSteps: 4, saveEvery: 4, logEvery: 3, seed: 9 } };
  const dirA = mkdtempSync(join(tmpdir(), 'scmix-bert-a-'));
  const dirB = mkdtempSync(join(tmpdir(), 'scmix-bert-b-'));
  try {
    const a = await trainGeneformer(src, cfg, { backend: be, outDir: dirA });
    // run B dies during step 11 (after the step-8 checkpoint): steps 9..10 are lost
    await assert.rejects(trainGeneformer(src, cfg, { backend: be, outDir: dirB, onStep: (s) => { if (s.step === 10) throw new Error('killed'); } }), /killed/);
    const saved = JSON.parse(readFileSync(join(dirB, 'trainer_state.json'), 'utf8'));
    assert.equal(saved.step, 8);
    const b = await trainGeneformer(src, cfg, { backend: be, outDir: dirB, resume: true });
    assert.equal(b.resumedFrom, 8);
    assert.equal(a.steps, 15);
    for (let i = 0; i < a.model.params.all.length; i++) {
      assert.deepEqual(b.model.params.all[i].data, a.model.params.all[i].data, a.model.params.all[i].name);
    }
    assert.deepEqual(b.history, a.history);
    // the final checkpoint on disk is the HF model
    const m = loadGeneformer(dirB, be);
    assert.deepEqual(m.params.word.data, a.model.params.word.data);
    assert.ok(existsSync(join(dirB, 'config.json')));
    // a different config cannot resume from this state
    await assert.rejects(trainGeneformer(src, { ...cfg, train: { ...cfg.train, seed: 10 } }, { backend: be, outDir: dirB, resume: true }), (e: any) => e.code === 'CHECKPOINT_INCOMPATIBLE');
  } finally {
    rmSync(dirA, { recursive: true, force: true });
    rmSync(dirB, { recursive: true, force: true });
  }
});

test('gradient accumulation over micro-batches equals the full batch (dropout off)', async () => {
  const src = simulatedTokens({ nCells: 32, vocabSize: 24, minLen: 5, maxLen: 16, nTypes: 3, programSize: 6, noise: 0.1, seed: 6 });
  const base = { model: { ...tinyModel, hiddenDropoutProb: 0, attentionProbsDropoutProb: 0 }, train: { batchSize: 8, maxSteps: 4, warmupSteps: 1, seed: 2 } };
  const full = await trainGeneformer(src, base, { backend: be });
  const acc = await trainGeneformer(src, { ...base, train: { ...base.train, microBatchSize: 3 } }, { backend: be });
  let d = 0;
  let scale = 0;
  full.model.params.all.forEach((p, i) => {
    for (let k = 0; k < p.size; k++) {
      d = Math.max(d, Math.abs(p.data[k] - acc.model.params.all[i].data[k]));
      scale = Math.max(scale, Math.abs(p.data[k]));
    }
  });
  // Adam normalises the update, so float rounding differences stay of the order of lr * 1e-3
  assert.ok(d < 1e-5, `max weight difference ${d} (weights up to ${scale})`);
  assert.ok(Math.abs(full.history.at(-1)!.loss - acc.history.at(-1)!.loss) < 1e-5);
});

test('bad token data: one readable error before training', async () => {
  const long = { nCells: 2, length: (i: number) => (i === 1 ? 40 : 3), cell: (i: number) => new Int32Array(i === 1 ? 40 : 3).fill(2) };
  await assert.rejects(trainGeneformer(long, { model: tinyModel }, { backend: be }), (e: any) => e.code === 'INPUT_VALUE' && /cell 1 has 40 tokens/.test(e.message));
  const bad = { nCells: 1, length: () => 3, cell: () => Int32Array.from([2, 99, 3]) };
  await assert.rejects(trainGeneformer(bad, { model: tinyModel }, { backend: be }), (e: any) => e.code === 'INPUT_VALUE' && /id 99/.test(e.message));
  const empty = { nCells: 1, length: () => 0, cell: () => new Int32Array(0) };
  await assert.rejects(trainGeneformer(empty, { model: tinyModel }, { backend: be }), (e: any) => e.code === 'NOT_ENOUGH_CELLS');
  await assert.rejects(trainGeneformer(empty, { model: { hiddenSize: 30, numAttentionHeads: 4 } }, { backend: be }), (e: any) => e.code === 'CONFIG_INVALID');
});
