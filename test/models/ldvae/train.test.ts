// Trains on a small REAL dataset (400 cells x 200 genes of Kang 2018 PBMC, see
// test/fixtures/ldvae/SOURCE.txt) on the reference backend and checks that the ELBO falls and the
// study's per-cell reconstruction correlation (log1p CP10k vs log1p(1e4 px_scale)) rises.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { trainLdvae, type LdvaeHistoryRow } from '../../../src/models/ldvae/index.js';
import { referenceBackend } from '../../../src/engine/backends/index.js';
import { loadCsrFixture, median, perCellCorrelation } from './support.js';

const FIX = new URL('../../fixtures/ldvae/kang400x200.safetensors', import.meta.url).pathname;
// Measured with this config (seed 3): median r 0.127 after 1 epoch, 0.662 after 40; ELBO 5393 -> 493.
const MEDIAN_R_BOUND = 0.6;

test('LDVAE on real PBMC counts: ELBO falls, reconstruction correlation rises above 0.6', async () => {
  const ad = loadCsrFixture(FIX);
  const dir = mkdtempSync(join(tmpdir(), 'ldvae-train-'));
  try {
    const cfg = { nHidden: 32, nLatent: 5, epochs: 40, batchSize: 64, checkValEveryNEpoch: 10, checkpointEveryNEpoch: 0, seed: 3 };
    const rows: LdvaeHistoryRow[] = [];
    const be = referenceBackend();
    const early = await trainLdvae(ad, cfg, { backend: be, outDir: dir, stopAfterEpochs: 1, onEpoch: (r) => rows.push(r) });
    const r1 = median(perCellCorrelation(ad.X, early.normalizedExpression(ad.X, { sample: false })));
    const model = await trainLdvae(ad, cfg, { backend: be, outDir: dir, resume: true, onEpoch: (r) => rows.push(r) });
    assert.equal(model.history.length, 40);
    assert.deepEqual(rows.map((r) => r.epoch), Array.from({ length: 40 }, (_, i) => i));
    for (const r of rows) {
      assert.ok(Number.isFinite(r.elbo_train) && r.elbo_train > 0);
      assert.ok(Math.abs(r.elbo_train - r.reconstruction_loss_train - r.kl_local_train) < 1e-6 * r.elbo_train);
      assert.equal(r.kl_weight, r.epoch / 400);
      assert.equal('elbo_validation' in r, (r.epoch + 1) % 10 === 0);
    }
    const first = rows[0].elbo_train;
    const last = rows[39].elbo_train;
    assert.ok(last < 0.25 * first, `elbo_train ${first} -> ${last}`);
    assert.ok(rows[39].elbo_validation! < rows[9].elbo_validation!, 'validation ELBO falls');
    const sampled = median(perCellCorrelation(ad.X, model.normalizedExpression(ad.X, { seed: 1 })));
    const mean = median(perCellCorrelation(ad.X, model.normalizedExpression(ad.X, { sample: false })));
    console.log(`elbo_train ${first.toFixed(1)} -> ${last.toFixed(1)}; median r after 1 epoch ${r1.toFixed(3)}, after 40: ${mean.toFixed(3)} (z mean), ${sampled.toFixed(3)} (z sampled)`);
    assert.ok(mean > MEDIAN_R_BOUND && mean > r1 + 0.1, `median r ${r1} -> ${mean}`);
    assert.ok(sampled > MEDIAN_R_BOUND - 0.05);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
