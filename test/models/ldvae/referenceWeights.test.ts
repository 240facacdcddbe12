// Weights trained by the PyTorch reference (shared/reference/ldvae_ref.py) load into scmix via
// the committed npz -> safetensors converter, and give the reference's own latent means and
// loadings. Runs live with /usr/bin/python3 + torch; skipped with the reason otherwise.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { writeH5ad } from '../../../src/io/index.js';
import { loadReferenceWeights } from '../../../src/models/ldvae/index.js';
import { referenceBackend } from '../../../src/engine/backends/index.js';
import { loadCsrFixture } from './support.js';
import { SHARED_ROOT as sharedRoot } from '../../support/paths.js';

const REF = sharedRoot + '/reference/ldvae_ref.py';
const PY = '/usr/bin/python3';
const TOOL = new URL('../../../src/models/ldvae/tools/npz_to_safetensors.py', import.meta.url).pathname;
const probe = existsSync(PY) && existsSync(REF) ? spawnSync(PY, ['-c', 'import torch, anndata']) : null;
const skip = !probe ? `${REF} or ${PY} not found` : probe.status !== 0 ? '/usr/bin/python3 lacks torch/anndata' : false;

/** numpy .npy (little-endian float32, C order) -> Float32Array */
function readNpy(path: string): Float32Array {
  const b = readFileSync(path);
  const hlen = b.readUInt16LE(8);
  const header = b.subarray(10, 10 + hlen).toString('latin1');
  assert.match(header, /'descr': '<f4'/);
  const off = 10 + hlen;
  return new Float32Array(b.buffer.slice(b.byteOffset + off, b.byteOffset + b.length));
}

test('ldvae_ref.py weights -> safetensors -> scmix: same latent means and loadings as the reference', { skip }, async () => {
  const dir = mkdtempSync(join(tmpdir(), 'ldvae-ref-'));
  try {
    const ad = loadCsrFixture(new URL('../../fixtures/ldvae/kang400x200.safetensors', import.meta.url).pathname);
    const h5 = join(dir, 'kang.h5ad');
    await writeH5ad(h5, ad);
    const run = spawnSync(PY, [REF, '--h5ad', h5, '--epochs', '2', '--threads', '1', '--out-dir', join(dir, 'run'), '--n-hidden', '32'], { encoding: 'utf8', env: { ...process.env, OMP_WAIT_POLICY: 'PASSIVE' } });
    assert.equal(run.status, 0, run.stderr);
    const conv = spawnSync(PY, [TOOL, join(dir, 'run', 'weights.npz'), join(dir, 'w.safetensors')], { encoding: 'utf8' });
    assert.equal(conv.status, 0, conv.stderr);
    const m = loadReferenceWeights(join(dir, 'w.safetensors'), { backend: referenceBackend() });
    assert.deepEqual(m.genes, ad.var.index);
    assert.deepEqual([m.state.dims.H, m.state.dims.K, m.state.dims.nLayers], [32, 10, 2]);
    const want = readNpy(join(dir, 'run', 'latent_mean.npy'));
    const z = m.latent(ad.X);
    let worst = 0;
    const scale = Math.max(...Array.from(want, Math.abs));
    for (let i = 0; i < want.length; i++) worst = Math.max(worst, Math.abs(z[i] - want[i]) / Math.max(Math.abs(want[i]), 1e-2 * scale));
    assert.ok(worst < 2e-5, `latent worst rel ${worst}`);
    const L = m.loadings();
    const wl = readNpy(join(dir, 'run', 'loadings.npy'));
    for (let i = 0; i < wl.length; i++) assert.ok(Math.abs(L[i] - wl[i]) <= 1e-6 * Math.abs(wl[i]) + 1e-9, `loadings[${i}]`);
    console.log(`reference latent means reproduced to ${worst.toExponential(2)} (relative, floor 1e-2 x max)`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
