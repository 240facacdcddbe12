// Checkpoints: scvi-tools names, bitwise resume, save/load round trip, refusal of other genes,
// torn checkpoints; inference API (latent, normalizedExpression, loadings) on the golden weights.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadLdvae, trainLdvae, LdvaeModel, parseLdvaeConfig, alignQuery } from '../../../src/models/ldvae/index.js';
import { referenceBackend, createBackend } from '../../../src/engine/backends/index.js';
import type { Backend } from '../../../src/engine/backend.js';
import { readSafetensors } from '../../../src/io/safetensors.js';
import { initState } from '../../../src/models/ldvae/params.js';
import { loadStateTensors } from '../../../src/models/ldvae/stateDict.js';
import { Rng } from '../../../src/data/rng.js';
import { isScmixError } from '../../../src/errors.js';
import { denseToCsr, loadCsrFixture, makeAnnData } from './support.js';

const FIX = new URL('../../fixtures/ldvae/', import.meta.url).pathname;
const be = referenceBackend();
const tmp = () => mkdtempSync(join(tmpdir(), 'ldvae-ckpt-'));
const code = (c: string) => (e: unknown) => isScmixError(e) && e.code === c;

/** 150 cells x 200 genes of the real fixture: a final training batch of 135 mod 64 = 7 cells. */
function smallData() {
  const ad = loadCsrFixture(FIX + 'kang400x200.safetensors');
  const n = 150;
  const X = { ...ad.X, nRows: n, indptr: ad.X.indptr.slice(0, n + 1) as Int32Array };
  return makeAnnData(X, ad.var.index, ad.obs.index.slice(0, n));
}
const cfg = { nHidden: 16, nLatent: 4, epochs: 4, batchSize: 64, checkValEveryNEpoch: 2, checkpointEveryNEpoch: 1, seed: 7 };

const wasm = await createBackend({ kind: 'wasm', threads: 2 }).then((b) => b, (e: Error) => `WASM backend unavailable: ${e.message}`);

for (const [label, bk] of [['reference', be], ['wasm', wasm]] as const) test(`resume: 2 epochs + resume 2 epochs == 4 epochs uninterrupted, bit for bit [${label} backend]`, { skip: typeof bk === 'string' ? bk : false }, async () => {
  const be = bk as Backend;
  const ad = smallData();
  const a = tmp(), b = tmp();
  try {
    await trainLdvae(ad, cfg, { backend: be, outDir: a });
    await trainLdvae(ad, cfg, { backend: be, outDir: b, stopAfterEpochs: 2 });
    assert.equal(JSON.parse(readFileSync(join(b, 'model.json'), 'utf8')).epochsDone, 2);
    await trainLdvae(ad, cfg, { backend: be, outDir: b, resume: true });
    for (const f of ['model.safetensors', 'optimizer.safetensors']) assert.ok(readFileSync(join(a, f)).equals(readFileSync(join(b, f))), `${f} identical`);
    const ja = JSON.parse(readFileSync(join(a, 'model.json'), 'utf8'));
    const jb = JSON.parse(readFileSync(join(b, 'model.json'), 'utf8'));
    assert.deepEqual(ja.history.map((r: { elbo_train: number }) => r.elbo_train), jb.history.map((r: { elbo_train: number }) => r.elbo_train));
    assert.equal(ja.optimizer.step, 4 * 3); // 135 training cells / 64 -> 3 batches per epoch
    // resuming on other data / genes / config is refused
    const shuffled = makeAnnData(ad.X, [...ad.var.index].reverse(), ad.obs.index);
    await assert.rejects(trainLdvae(shuffled, { ...cfg, epochs: 6 }, { backend: be, outDir: b, resume: true }), code('GENES_MISMATCH'));
    await assert.rejects(trainLdvae(ad, { ...cfg, epochs: 6, lr: 1e-3 }, { backend: be, outDir: b, resume: true }), code('CHECKPOINT_INCOMPATIBLE'));
  } finally {
    rmSync(a, { recursive: true, force: true });
    rmSync(b, { recursive: true, force: true });
  }
});

test('checkpoint files: scvi-tools keys, I64 counters, round trip, torn-file detection', async () => {
  const ad = smallData();
  const dir = tmp();
  try {
    const m = await trainLdvae(ad, { ...cfg, epochs: 2 }, { backend: be, outDir: dir });
    const st = readSafetensors(join(dir, 'model.safetensors'));
    assert.equal(st.tensors.size, 44);
    const nbt = st.tensors.get('z_encoder.encoder.fc_layers.Layer 0.1.num_batches_tracked')!;
    assert.equal(nbt.dtype, 'I64');
    assert.equal((nbt.data as BigInt64Array)[0], 6n); // 2 epochs x 3 batches
    assert.deepEqual(st.tensors.get('z_encoder.encoder.fc_layers.Layer 0.0.weight')!.shape, [16, 200]); // torch [out, in]
    assert.equal((st.tensors.get('decoder.px_dropout_decoder.fc_layers.Layer 0.1.num_batches_tracked')!.data as BigInt64Array)[0], 6n);
    const j = JSON.parse(readFileSync(join(dir, 'model.json'), 'utf8'));
    assert.deepEqual(j.genes, ad.var.index);
    assert.equal(j.seed, 7);
    assert.equal(j.libraryPrior.mean, Number(st.tensors.get('library_log_means')!.data[0]));
    const back = loadLdvae(dir, { backend: be });
    assert.deepEqual(back.latent(ad.X), m.latent(ad.X));
    assert.deepEqual(back.normalizedExpression(ad.X, { seed: 5 }), m.normalizedExpression(ad.X, { seed: 5 }));
    assert.deepEqual(back.loadings(), m.loadings());
    // inference on data with other genes must be aligned first
    const other = makeAnnData(ad.X, ad.var.index.map((g) => g + '_x'));
    assert.throws(() => alignQuery(other.X, other.var.index, back.genes, 'q.h5ad'), code('GENES_MISMATCH'));
    assert.throws(() => back.latent({ ...ad.X, nCols: 199 }), code('GENES_MISMATCH'));
    // a tensor file that does not belong to model.json (killed between writes, or edited)
    const w = readFileSync(join(dir, 'model.safetensors'));
    w[w.length - 1] ^= 1;
    writeFileSync(join(dir, 'model.safetensors'), w);
    assert.throws(() => loadLdvae(dir, { backend: be }), code('CHECKPOINT_INCOMPATIBLE'));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('alignQuery reorders, zero-pads and drops genes like prepare_query_anndata', () => {
  const X = denseToCsr([1, 2, 3, 0, 4, 5], 2, 3); // genes A B C
  const warnings: string[] = [];
  const r = alignQuery(X, ['A', 'B', 'C'], ['C', 'Z', 'A'], 'q', (w) => warnings.push(w));
  assert.equal(r.X.nCols, 3);
  const dense = (c: typeof r.X) => Array.from({ length: c.nRows * c.nCols }, (_, i) => {
    const row = Math.floor(i / c.nCols), col = i % c.nCols;
    for (let p = c.indptr[row]; p < c.indptr[row + 1]; p++) if (c.indices[p] === col) return c.data[p];
    return 0;
  });
  assert.deepEqual(dense(r.X), [3, 0, 1, 5, 0, 0]);
  assert.equal(r.missing, 1);
  assert.equal(r.dropped, 1);
  assert.equal(warnings.length, 1); // 2/3 < 80 %
});

test('loadings equal scvi get_loadings on the golden step-1 state', () => {
  const g = readSafetensors(FIX + 'ldvae-golden.safetensors').tensors;
  const st = initState(be, { G: 40, H: 128, K: 10, nLayers: 2 }, new Rng(0));
  loadStateTensors(st, g, 'golden', 'step1/'); // the golden `loadings` were taken after the Adam step
  const m = new LdvaeModel(be, parseLdvaeConfig({}), Array.from({ length: 40 }, (_, i) => `g${i}`), st, [], { mean: 0, variance: 1 }, null);
  const L = m.loadings();
  const want = g.get('loadings')!.data as Float32Array;
  for (let i = 0; i < want.length; i++) assert.ok(Math.abs(L[i] - want[i]) <= 1e-6 * Math.abs(want[i]) + 1e-9, `loadings[${i}]: ${L[i]} vs ${want[i]}`);
});

test('inference on the golden weights: latent is the posterior mean; expression rows sum to the library size', () => {
  const g = readSafetensors(FIX + 'ldvae-golden.safetensors').tensors;
  const dims = { G: 40, H: 128, K: 10, nLayers: 2 };
  const st = initState(be, dims, new Rng(0));
  loadStateTensors(st, g, 'golden', 'w/');
  const genes = Array.from({ length: 40 }, (_, i) => `g${i}`);
  const m = new LdvaeModel(be, parseLdvaeConfig({}), genes, st, [], { mean: 0, variance: 1 }, null);
  const X = denseToCsr(g.get('x')!.data as Float32Array, 16, 40);
  const z = m.latent(X);
  const qm = g.get('eval/qz_m')!.data as Float32Array;
  for (let i = 0; i < qm.length; i++) assert.ok(Math.abs(z[i] - qm[i]) <= 1e-5 * Math.max(Math.abs(qm[i]), 1e-2), `latent[${i}]`);
  const e = m.normalizedExpression(X, { sample: false });
  for (let r = 0; r < 16; r++) {
    let s = 0;
    for (let j = 0; j < 40; j++) s += e[r * 40 + j];
    assert.ok(Math.abs(s - 1e4) < 1e-2, `row ${r} sums to ${s}`);
  }
  // sampled: deterministic per seed, different from the mean
  assert.deepEqual(m.normalizedExpression(X, { seed: 3 }), m.normalizedExpression(X, { seed: 3 }));
  assert.notDeepEqual(m.normalizedExpression(X, { seed: 3 }), e);
  // residual statistics: observed - predicted per gene, consistent with its parts
  const rs = m.residualStats(X, { sample: false });
  for (let j = 0; j < 40; j++) assert.ok(Math.abs(rs.meanResidual[j] - (rs.meanObserved[j] - rs.meanPredicted[j])) < 1e-12);
});
