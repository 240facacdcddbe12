// Bad input: clear ScmixErrors before any training, documented handling for empty cells and a
// final batch of one cell (scvi 1.1.x crashes there), and no checkpoint written on failure.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { trainLdvae, batchBounds, splitTrainValidation, parseLdvaeConfig } from '../../../src/models/ldvae/index.js';
import { referenceBackend } from '../../../src/engine/backends/index.js';
import { isScmixError } from '../../../src/errors.js';
import { Rng } from '../../../src/data/rng.js';
import { denseToCsr, makeAnnData } from './support.js';

const be = referenceBackend();
const code = (c: string, re?: RegExp) => (e: unknown) => isScmixError(e) && e.code === c && (!re || re.test(e.message));
const tiny = { nHidden: 8, nLatent: 2, epochs: 1, batchSize: 4, checkValEveryNEpoch: 1 };

function counts(n: number, g: number, seed = 1): number[] {
  const r = new Rng(seed);
  return Array.from({ length: n * g }, () => (r.uniform() < 0.4 ? 1 + r.int(5) : 0));
}
const genes = (g: number) => Array.from({ length: g }, (_, i) => `G${i}`);

test('NaN, negative and non-integer counts are refused with INPUT_VALUE naming the cell; no checkpoint is written', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'ldvae-bad-'));
  try {
    for (const [bad, re] of [[NaN, /NaN/], [-1, /negative/], [1.5, /not a whole number/], [Infinity, /infinite/]] as const) {
      const d = counts(12, 6);
      d[2 * 6 + 3] = bad;
      await assert.rejects(trainLdvae(makeAnnData(denseToCsr(d, 12, 6), genes(6)), tiny, { backend: be, outDir: dir, source: 'x.h5ad' }), code('INPUT_VALUE', new RegExp(`x\\.h5ad: value .* at cell "c2" \\(row 2\\), gene "G3" \\(column 3\\) is .*${re.source}`)));
    }
    assert.equal(existsSync(join(dir, 'model.json')), false);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('fewer than 2 training cells -> NOT_ENOUGH_CELLS; a config out of range -> CONFIG_INVALID', async () => {
  await assert.rejects(trainLdvae(makeAnnData(denseToCsr(counts(1, 6), 1, 6), genes(6)), tiny, { backend: be }), code('NOT_ENOUGH_CELLS'));
  await assert.rejects(trainLdvae(makeAnnData(denseToCsr(counts(4, 6), 4, 6), genes(6)), { ...tiny, batchSize: 1 }, { backend: be }), code('CONFIG_INVALID', /batchSize/));
  assert.throws(() => parseLdvaeConfig({ nLatnet: 3 }), code('CONFIG_INVALID', /nLatnet/));
});

test('an all-zero cell is kept (scvi: log-library 0 in the prior) with a warning, and training stays finite', async () => {
  const d = counts(20, 6);
  for (let j = 0; j < 6; j++) d[5 * 6 + j] = 0;
  const warnings: string[] = [];
  const m = await trainLdvae(makeAnnData(denseToCsr(d, 20, 6), genes(6)), { ...tiny, epochs: 2 }, { backend: be, onWarning: (w) => warnings.push(w) });
  assert.match(warnings.join('\n'), /1 cell\(s\) have zero total counts/);
  assert.ok(m.history.every((r) => Number.isFinite(r.elbo_train)));
});

test('a final training batch of ONE cell is merged into the previous batch (scvi 1.1.x would crash)', async () => {
  assert.deepEqual(batchBounds(9, 4), [0, 4, 9]); // 4 + 5, not 4 + 4 + 1
  assert.deepEqual(batchBounds(10, 4), [0, 4, 8, 10]);
  assert.deepEqual(batchBounds(2, 4), [0, 2]);
  // N = 10: ceil(0.9 * 10) = 9 training cells, batch 4 -> batches 4 + 5
  const { train, validation } = splitTrainValidation(10, 0.9, 0);
  assert.equal(train.length, 9);
  assert.equal(validation.length, 1);
  const m = await trainLdvae(makeAnnData(denseToCsr(counts(10, 6), 10, 6), genes(6)), { ...tiny, epochs: 2 }, { backend: be });
  assert.equal(m.optimizer!.step, 4); // 2 batches per epoch
  assert.ok(m.history.every((r) => Number.isFinite(r.elbo_train) && Number.isFinite(r.elbo_validation!)));
});

test('a loss that diverges stops training with ENGINE_FAILURE naming the epoch and batch; no checkpoint is written', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'ldvae-diverge-'));
  try {
    // lr 1e30: the first Adam step throws the weights to ~1e30, the next forward overflows
    await assert.rejects(
      trainLdvae(makeAnnData(denseToCsr(counts(24, 6), 24, 6), genes(6)), { ...tiny, epochs: 3, lr: 1e30, checkpointEveryNEpoch: 1 }, { backend: be, outDir: dir, source: 'x.h5ad' }),
      code('ENGINE_FAILURE', /x\.h5ad: the LDVAE loss became (NaN|-?Infinity) at epoch 0, batch \d+/),
    );
    assert.equal(existsSync(join(dir, 'model.json')), false);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
