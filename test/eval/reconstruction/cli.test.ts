import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, copyFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after as cleanup, test } from 'node:test';
import { runCli } from '../../../src/cli/main.js';
import { readH5ad } from '../../../src/io/index.js';
import { saveLdvae, trainLdvae } from '../../../src/models/ldvae/index.js';
import { readPerCell } from '../../../src/eval/reconstruction/index.js';

const FIX = join(import.meta.dirname, '..', '..', 'fixtures', 'eval', 'ldvae_ref');

/** Run the CLI in-process, capturing stdout/stderr. */
async function cli(args: string[]): Promise<{ code: number; out: string; err: string }> {
  let out = '';
  let err = '';
  const ow = process.stdout.write.bind(process.stdout);
  const ew = process.stderr.write.bind(process.stderr);
  process.stdout.write = ((s: string | Uint8Array) => ((out += String(s)), true)) as typeof process.stdout.write;
  process.stderr.write = ((s: string | Uint8Array) => ((err += String(s)), true)) as typeof process.stderr.write;
  try {
    const code = await runCli(['node', 'scmix', ...args]);
    return { code, out, err };
  } finally {
    process.stdout.write = ow;
    process.stderr.write = ew;
  }
}

test('scmix eval: trained checkpoint + real eval h5ad -> percell.csv, summary.json, --json line', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'scmix-evalcli-'));
  cleanup(() => rmSync(dir, { recursive: true, force: true }));
  // a tiny LDVAE trained on the first 100 cells of the Kang fixture (its own genes)
  const ad = await readH5ad(join(FIX, 'eval.h5ad'));
  const model = await trainLdvae(ad, { nHidden: 16, nLatent: 4, nLayers: 1, epochs: 2, batchSize: 64, checkValEveryNEpoch: 0, checkpointEveryNEpoch: 0 });
  const mdir = join(dir, 'model');
  saveLdvae(model, mdir);
  const out = join(dir, 'out');
  const r = await cli(['eval', '--model', mdir, '--data', join(FIX, 'eval.h5ad'), '--out', out, '--n-top-genes', '500', '--json']);
  assert.equal(r.code, 0, r.err);
  const s = JSON.parse(r.out.trim().split('\n').pop()!);
  assert.equal(s.nCells, 150);
  assert.ok(s.nHvg >= 500);
  assert.equal(s.corpus, 'model');
  assert.equal(s.evalSet, 'eval');
  assert.ok(s.median_r2 > 0 && s.median_r2 < 1);
  assert.match(s.provenance.evalSha256, /^[0-9a-f]{64}$/);
  const pc = readPerCell(join(out, 'percell.csv'));
  assert.equal(pc.cells.length, 150);
  assert.deepEqual(JSON.parse(readFileSync(join(out, 'summary.json'), 'utf8')).median_r2, s.median_r2);
  assert.ok(existsSync(join(out, 'factors.json')));
  // same seed -> same bytes
  const out2 = join(dir, 'out2');
  assert.equal((await cli(['eval', '--model', mdir, '--data', join(FIX, 'eval.h5ad'), '--out', out2, '--n-top-genes', '500', '--json'])).code, 0);
  assert.equal(readFileSync(join(out2, 'percell.csv'), 'utf8'), readFileSync(join(out, 'percell.csv'), 'utf8'));
});

test('scmix eval: bad input gives one readable error and exit status 2', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'scmix-evalcli-bad-'));
  cleanup(() => rmSync(dir, { recursive: true, force: true }));
  const missing = await cli(['eval', '--model', join(dir, 'nope'), '--data', join(FIX, 'eval.h5ad'), '--out', join(dir, 'o')]);
  assert.equal(missing.code, 2);
  assert.match(missing.err, /no model\.json/);
  const notH5 = join(dir, 'x.h5ad');
  copyFileSync(join(FIX, 'hvg_genes.txt'), notH5);
  const ad = await readH5ad(join(FIX, 'eval.h5ad'));
  const m = await trainLdvae(ad, { nHidden: 8, nLatent: 2, nLayers: 1, epochs: 1, batchSize: 64, checkValEveryNEpoch: 0, checkpointEveryNEpoch: 0 });
  saveLdvae(m, join(dir, 'm'));
  const bad = await cli(['eval', '--model', join(dir, 'm'), '--data', notH5, '--out', join(dir, 'o')]);
  assert.equal(bad.code, 2);
  assert.match(bad.err, /x\.h5ad/);
  const flag = await cli(['eval', '--model', join(dir, 'm'), '--data', join(FIX, 'eval.h5ad'), '--out', join(dir, 'o'), '--n-top-genes', 'many']);
  assert.equal(flag.code, 2);
  assert.match(flag.err, /--n-top-genes/);
});
