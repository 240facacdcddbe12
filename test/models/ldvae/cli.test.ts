// `scmix train ldvae --json` and `scmix ldvae latent|expression|loadings`, run in-process.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { writeH5ad, readH5ad } from '../../../src/io/index.js';
import { runCli } from '../../../src/cli/main.js';
import { loadCsrFixture, makeAnnData } from './support.js';

async function run(args: string[]): Promise<{ rc: number; out: string; err: string }> {
  const o = process.stdout.write.bind(process.stdout);
  const e = process.stderr.write.bind(process.stderr);
  let out = '', err = '';
  process.stdout.write = ((s: string) => ((out += s), true)) as typeof process.stdout.write;
  process.stderr.write = ((s: string) => ((err += s), true)) as typeof process.stderr.write;
  try {
    const rc = await runCli(['node', 'scmix', ...args]);
    return { rc, out, err };
  } finally {
    process.stdout.write = o;
    process.stderr.write = e;
  }
}

test('scmix train ldvae --json, resume, and scmix ldvae latent|expression|loadings', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'ldvae-cli-'));
  try {
    const ad = loadCsrFixture(new URL('../../fixtures/ldvae/kang400x200.safetensors', import.meta.url).pathname);
    const data = join(dir, 'corpus.h5ad');
    await writeH5ad(data, ad);
    const model = join(dir, 'model');
    const t = await run(['train', 'ldvae', '--data', data, '--out', model, '--config', 'tiny', '--epochs', '5', '--set', 'checkpointEveryNEpoch=2', '--json', '--backend', 'reference']);
    assert.equal(t.rc, 0, t.err);
    const rows = t.out.trim().split('\n').map((l) => JSON.parse(l) as Record<string, number>);
    assert.deepEqual(rows.map((r) => r.epoch), [0, 1, 2, 3, 4]);
    for (const k of ['epoch', 'elbo_train', 'reconstruction_loss_train', 'kl_local_train', 'kl_weight', 'seconds', 'cells_per_s']) assert.ok(k in rows[0], k);
    assert.ok('elbo_validation' in rows[4] && !('elbo_validation' in rows[3])); // tiny: validation every 5
    const r2 = await run(['train', 'ldvae', '--data', data, '--out', model, '--config', 'tiny', '--epochs', '7', '--resume', '--json', '--backend', 'reference']);
    assert.equal(r2.rc, 0, r2.err);
    assert.deepEqual(r2.out.trim().split('\n').map((l) => JSON.parse(l).epoch), [5, 6]);

    const lat = join(dir, 'latent.h5ad');
    assert.equal((await run(['ldvae', 'latent', '--model', model, '--data', data, '--out', lat, '--backend', 'reference'])).rc, 0);
    const back = await readH5ad(lat);
    assert.deepEqual(back.obsm.get('X_ldvae')!.shape, [400, 5]);
    const load = join(dir, 'loadings.csv');
    assert.equal((await run(['ldvae', 'loadings', '--model', model, '--out', load, '--backend', 'reference'])).rc, 0);
    const lines = readFileSync(load, 'utf8').trim().split('\n');
    assert.equal(lines[0], 'gene,Z_0,Z_1,Z_2,Z_3,Z_4');
    assert.equal(lines.length, 201);
    const ex = join(dir, 'expr.csv');
    assert.equal((await run(['ldvae', 'expression', '--model', model, '--data', data, '--out', ex, '--mean', '--backend', 'reference'])).rc, 0);
    const row1 = readFileSync(ex, 'utf8').split('\n')[1].split(',').slice(1).map(Number);
    assert.ok(Math.abs(row1.reduce((a, b) => a + b, 0) - 1e4) < 1);

    // a corpus with other genes: resume refuses (exit 2), no checkpoint change
    const before = readFileSync(join(model, 'model.safetensors'));
    const other = join(dir, 'other.h5ad');
    await writeH5ad(other, makeAnnData(ad.X, ad.var.index.map((g) => g + '-x'), ad.obs.index));
    const bad = await run(['train', 'ldvae', '--data', other, '--out', model, '--config', 'tiny', '--epochs', '9', '--resume', '--backend', 'reference']);
    assert.equal(bad.rc, 2);
    assert.match(bad.err, /genes/);
    assert.ok(readFileSync(join(model, 'model.safetensors')).equals(before));
    const q = await run(['ldvae', 'latent', '--model', model, '--data', other, '--out', join(dir, 'x.csv'), '--backend', 'reference']);
    assert.equal(q.rc, 2);
    assert.match(q.err, /none of the model's 200 genes/);
    assert.equal(existsSync(join(dir, 'x.csv')), false);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
