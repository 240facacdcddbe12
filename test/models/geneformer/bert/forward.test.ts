import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, mkdtempSync, rmSync, writeFileSync, existsSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { tmpdir } from 'node:os';
import { fileURLToPath } from 'node:url';
import { referenceBackend } from '../../../../src/engine/backends/index.js';
import { loadGeneformer, saveGeneformer, createGeneformer, padBatch, type TokenBatch } from '../../../../src/models/geneformer/bert/index.js';

const be = referenceBackend();
const fixDir = fileURLToPath(new URL('../../../fixtures/bert/', import.meta.url));
// made by test/fixtures/bert/bert_torch_ref.py (plain PyTorch 1.13 forward of BertForMaskedLM)
const expected = JSON.parse(readFileSync(join(fixDir, 'expected.json'), 'utf8')) as {
  B: number; T: number; ids: number[]; lengths: number[]; logits: number[]; hidden_states: number[][];
};
const batch: TokenBatch = { B: expected.B, T: expected.T, ids: Int32Array.from(expected.ids), lengths: Int32Array.from(expected.lengths) };

function maxAbs(a: ArrayLike<number>, b: ArrayLike<number>): number {
  assert.equal(a.length, b.length);
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i] - b[i]));
  return m;
}

test('tiny HF checkpoint: logits at every position match the plain-PyTorch forward to 1e-4', () => {
  const model = loadGeneformer(join(fixDir, 'tiny-hf'), be);
  assert.equal(model.config.numHiddenLayers, 2);
  const logits = model.predictLogitsAll(batch);
  const d = maxAbs(logits, expected.logits);
  assert.ok(d < 1e-4, `max |diff| ${d}`);
  // the logits are not trivially small: the comparison has teeth
  assert.ok(Math.max(...expected.logits.map(Math.abs)) > 1);
});

test('tiny HF checkpoint: every hidden state (embeddings, layer 1, layer 2) matches to 1e-4', () => {
  const model = loadGeneformer(join(fixDir, 'tiny-hf'), be);
  for (let l = 0; l <= 2; l++) {
    const d = maxAbs(model.hiddenStates(batch, l), expected.hidden_states[l]);
    assert.ok(d < 1e-4, `hidden state ${l}: max |diff| ${d}`);
  }
  // negative indices count from the end, as HF hidden_states[-2]
  assert.deepEqual(model.hiddenStates(batch, -2), model.hiddenStates(batch, 1));
});

test('logits at selected positions equal the rows of the full logits; argmax matches', () => {
  const model = loadGeneformer(join(fixDir, 'tiny-hf'), be);
  const V = model.config.vocabSize;
  const rows = Int32Array.from([0, 8, 14]);
  const sel = model.forward(batch, rows);
  rows.forEach((r, i) => assert.ok(maxAbs(sel.subarray(i * V, i * V + V), expected.logits.slice(r * V, r * V + V)) < 1e-4));
  const am = model.predictArgmax(batch, 4);
  for (let r = 0; r < batch.B * batch.T; r++) {
    const row = expected.logits.slice(r * V, r * V + V);
    assert.equal(am[r], row.indexOf(Math.max(...row)));
  }
});

test('embed: mean over the real tokens of hidden state -2', () => {
  const model = loadGeneformer(join(fixDir, 'tiny-hf'), be);
  const H = model.config.hiddenSize;
  const emb = model.embed(batch);
  const hs = expected.hidden_states[1];
  for (let b = 0; b < batch.B; b++) {
    const L = batch.lengths[b];
    for (let j = 0; j < H; j++) {
      let s = 0;
      for (let i = 0; i < L; i++) s += hs[(b * batch.T + i) * H + j];
      assert.ok(Math.abs(emb[b * H + j] - s / L) < 1e-4);
    }
  }
});

test('embed with specialTokens (V2): mean over positions 1..length-2; no position -> error', () => {
  const model = loadGeneformer(join(fixDir, 'tiny-hf'), be);
  const H = model.config.hiddenSize;
  const two: TokenBatch = { B: 2, T: 7, ids: batch.ids.slice(0, 14), lengths: Int32Array.from([7, 4]) };
  const emb = model.embed(two, { specialTokens: true });
  const hs = expected.hidden_states[1];
  for (const [b, L] of [[0, 7], [1, 4]]) {
    for (let j = 0; j < H; j++) {
      let s = 0;
      for (let i = 1; i < L - 1; i++) s += hs[(b * 7 + i) * H + j];
      assert.ok(Math.abs(emb[b * H + j] - s / (L - 2)) < 1e-4);
    }
  }
  assert.throws(() => model.embed(batch, { specialTokens: true }), /cell 2/);
});

test('save/load round trip gives identical logits; HF key names as BertForMaskedLM', () => {
  const dir = mkdtempSync(join(tmpdir(), 'scmix-bert-'));
  try {
    const m = createGeneformer({ vocabSize: 23, hiddenSize: 16, numHiddenLayers: 2, numAttentionHeads: 2, intermediateSize: 24, maxPositionEmbeddings: 12 }, 5, be);
    saveGeneformer(m, dir);
    const m2 = loadGeneformer(dir, be);
    assert.deepEqual(m2.predictLogitsAll(batch), m.predictLogitsAll(batch));
    const cfg = JSON.parse(readFileSync(join(dir, 'config.json'), 'utf8'));
    assert.equal(cfg.hidden_act, 'relu');
    assert.equal(cfg.model_type, 'bert');
    assert.deepEqual(cfg.architectures, ['BertForMaskedLM']);
    const names = m.params.all.map((p) => p.name);
    // the HF layout list (fixture written with the same names PyTorch uses) minus the tied decoder
    const hfNames = [
      'bert.embeddings.word_embeddings.weight', 'bert.embeddings.position_embeddings.weight',
      'bert.embeddings.token_type_embeddings.weight', 'bert.embeddings.LayerNorm.weight', 'bert.embeddings.LayerNorm.bias',
      ...[0, 1].flatMap((l) => [
        ...['query', 'key', 'value'].flatMap((n) => [`attention.self.${n}.weight`, `attention.self.${n}.bias`]),
        'attention.output.dense.weight', 'attention.output.dense.bias', 'attention.output.LayerNorm.weight', 'attention.output.LayerNorm.bias',
        'intermediate.dense.weight', 'intermediate.dense.bias', 'output.dense.weight', 'output.dense.bias', 'output.LayerNorm.weight', 'output.LayerNorm.bias',
      ].map((s) => `bert.encoder.layer.${l}.${s}`)),
      'cls.predictions.transform.dense.weight', 'cls.predictions.transform.dense.bias',
      'cls.predictions.transform.LayerNorm.weight', 'cls.predictions.transform.LayerNorm.bias', 'cls.predictions.bias',
    ];
    assert.deepEqual([...names].sort(), [...hfNames].sort());
    // shapes as torch: Linear [out, in]
    const f1 = m.params.all.find((p) => p.name === 'bert.encoder.layer.0.intermediate.dense.weight')!;
    assert.deepEqual(f1.shape, [24, 16]);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('HF init: N(0, 0.02) weights, zero <pad> row, zero biases, LayerNorm (1, 0); parameter count of the study config', () => {
  const m = createGeneformer({ vocabSize: 500, hiddenSize: 32, numHiddenLayers: 1, numAttentionHeads: 2, intermediateSize: 64, maxPositionEmbeddings: 64 }, 1, be);
  const word = m.params.word.data;
  let s = 0, ss = 0;
  for (let i = 32; i < word.length; i++) { s += word[i]; ss += word[i] * word[i]; }
  const n = word.length - 32;
  assert.ok(Math.abs(Math.sqrt(ss / n - (s / n) ** 2) - 0.02) < 0.001);
  assert.ok(word.subarray(0, 32).every((v) => v === 0));
  assert.ok(m.params.layers[0].qb.data.every((v) => v === 0));
  assert.ok(m.params.embLnG.data.every((v) => v === 1));
  // study config: 10,288,722 parameters (geneformer-spec §3)
  const study = createGeneformer({}, 0, be);
  assert.equal(study.nParameters, 10_288_722);
  study.dispose();
});

test('bad checkpoints: one readable error naming the file', () => {
  const dir = mkdtempSync(join(tmpdir(), 'scmix-bert-'));
  try {
    assert.throws(() => loadGeneformer(dir, be), (e: any) => e.code === 'INPUT_MISSING' && e.message.includes('config.json'));
    writeFileSync(join(dir, 'config.json'), JSON.stringify({ hidden_size: 16, num_attention_heads: 2, num_hidden_layers: 2, vocab_size: 23, intermediate_size: 24, max_position_embeddings: 12, hidden_act: 'relu' }));
    writeFileSync(join(dir, 'model.safetensors'), readFileSync(join(fixDir, 'tiny-hf', 'model.safetensors')));
    // a different vocab size than the weights
    writeFileSync(join(dir, 'config.json'), JSON.stringify({ hidden_size: 16, num_attention_heads: 2, num_hidden_layers: 2, vocab_size: 30, intermediate_size: 24, max_position_embeddings: 12, hidden_act: 'relu' }));
    assert.throws(() => loadGeneformer(dir, be), (e: any) => e.code === 'CHECKPOINT_INCOMPATIBLE' && /word_embeddings/.test(e.message));
    writeFileSync(join(dir, 'config.json'), JSON.stringify({ hidden_act: 'swish' }));
    assert.throws(() => loadGeneformer(dir, be), (e: any) => e.code === 'CHECKPOINT_INCOMPATIBLE' && /swish/.test(e.message));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('padBatch right-pads with <pad> and records lengths', () => {
  const b = padBatch([Int32Array.from([5, 6, 7]), Int32Array.from([9])]);
  assert.deepEqual([...b.ids], [5, 6, 7, 9, 0, 0]);
  assert.deepEqual([...b.lengths], [3, 1]);
});

const torchOk = existsSync('/usr/bin/python3') && spawnSync('/usr/bin/python3', ['-c', 'import torch'], { stdio: 'ignore' }).status === 0;
test('live: a checkpoint we saved, run through the PyTorch forward, gives our logits', { skip: torchOk ? false : 'no /usr/bin/python3 with torch' }, () => {
  const dir = mkdtempSync(join(tmpdir(), 'scmix-bert-'));
  try {
    const m = createGeneformer({ vocabSize: 31, hiddenSize: 16, numHiddenLayers: 2, numAttentionHeads: 4, intermediateSize: 20, maxPositionEmbeddings: 10 }, 11, be);
    // push the weights away from the init so the head and layers are not near-identity
    for (const p of m.params.all) for (let i = 0; i < p.size; i++) p.data[i] += 0.3 * Math.sin(i * 1.7 + p.size);
    saveGeneformer(m, dir);
    const inp = { B: 2, T: 6, ids: [3, 9, 1, 30, 2, 5, 7, 8, 0, 0, 0, 0], lengths: [6, 2] };
    writeFileSync(join(dir, 'in.json'), JSON.stringify(inp));
    const r = spawnSync('/usr/bin/python3', [join(fixDir, 'bert_torch_ref.py'), 'check', dir, join(dir, 'in.json')], { encoding: 'utf8' });
    assert.equal(r.status, 0, r.stderr);
    const ref = JSON.parse(r.stdout) as { logits: number[] };
    const ours = m.predictLogitsAll({ B: 2, T: 6, ids: Int32Array.from(inp.ids), lengths: Int32Array.from(inp.lengths) });
    const d = maxAbs(ours, ref.logits);
    assert.ok(d < 1e-4, `max |diff| ${d}`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
