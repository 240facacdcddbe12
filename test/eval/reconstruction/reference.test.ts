/**
 * scmix's reconstruction metric against the PyTorch reference (../shared/reference/ldvae_ref.py)
 * on real data (Kang 2018 PBMC, ../shared/data). Fixture generator:
 * test/fixtures/eval/make_ldvae_ref_fixture.py (deterministic posterior-mean z on both sides).
 *
 * 1. committed fixture: HVG set identical to hvg_genes.txt, and per-cell r within 1e-4 of the
 *    reference's eval_correlation.csv when fed the reference's reconstruction (alignment,
 *    CP10k/log1p, HVGs, Pearson all on scmix's side);
 * 2. live, when /usr/bin/python3 has torch and the LDVAE room loads reference weights: train the
 *    reference for 20 epochs, load weights.npz through our loader, evaluate with our model, compare.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { openH5ad } from '../../../src/io/index.js';
import type { Csr } from '../../../src/io/index.js';
import { evalSourceFromReader, evaluateReconstruction, type ReconstructionModel } from '../../../src/eval/reconstruction/index.js';

const FIX = join(import.meta.dirname, '..', '..', 'fixtures', 'eval', 'ldvae_ref');
const GEN = join(import.meta.dirname, '..', '..', 'fixtures', 'eval', 'make_ldvae_ref_fixture.py');
const lines = (p: string) => readFileSync(p, 'utf8').split('\n').filter((l) => l.length > 0);
const readR = (p: string) => lines(p).slice(1).map(Number);

async function compare(dir: string, model: ReconstructionModel): Promise<{ maxDiff: number; n: number; hvg: number }> {
  const reader = await openH5ad(join(dir, 'eval.h5ad'));
  try {
    const src = evalSourceFromReader(reader, 'kang-stim', { path: join(dir, 'eval.h5ad') });
    const res = await evaluateReconstruction(model, src, { nTopGenes: 1000, sample: false, blockRows: 64, residuals: false, latent: false });
    assert.deepEqual(res.hvgGenes, lines(join(dir, 'hvg_genes.txt')), 'HVG set differs from the reference');
    const want = readR(join(dir, 'eval_correlation.csv'));
    assert.equal(res.perCell.r.length, want.length);
    let maxDiff = 0;
    for (let i = 0; i < want.length; i++) {
      const d = Math.abs(res.perCell.r[i]! - want[i]!);
      maxDiff = Math.max(maxDiff, d);
      assert.ok(d <= 1e-4, `cell ${i}: r ${res.perCell.r[i]} vs reference ${want[i]}`);
      assert.ok(Math.abs(res.perCell.r2[i]! - want[i]! * want[i]!) <= 1e-4);
    }
    return { maxDiff, n: want.length, hvg: res.hvgGenes.length };
  } finally {
    reader.close();
  }
}

test('committed reference fixture: same HVGs, per-cell r within 1e-4', async (t) => {
  const genes = lines(join(FIX, 'model_genes.txt'));
  const hvg = lines(join(FIX, 'hvg_genes.txt'));
  const pos = new Map(genes.map((g, i) => [g, i]));
  const cols = hvg.map((g) => pos.get(g)!);
  const rec = new Float32Array(readFileSync(join(FIX, 'recon_hvg.f32')).buffer.slice(0));
  const S = hvg.length;
  let served = 0;
  // replays the reference's log1p(1e4 px_scale) on the HVG columns; other columns do not enter r
  const replay: ReconstructionModel = {
    genes,
    normalizedExpression(csr: Csr) {
      const out = new Float32Array(csr.nRows * genes.length);
      for (let i = 0; i < csr.nRows; i++, served++) for (let h = 0; h < S; h++) out[i * genes.length + cols[h]!] = Math.expm1(rec[served * S + h]!);
      return out;
    },
  };
  const r = await compare(FIX, replay);
  assert.equal(r.n, 150);
  assert.equal(r.hvg, 1000);
  t.diagnostic(`committed fixture: ${r.n} cells, ${r.hvg} HVGs, max |dr| ${r.maxDiff.toExponential(2)}`);
});

function torchAvailable(): string | null {
  if (!existsSync('/usr/bin/python3')) return '/usr/bin/python3 not found';
  const p = spawnSync('/usr/bin/python3', ['-c', 'import torch, anndata, scipy, pandas'], { encoding: 'utf8' });
  return p.status === 0 ? null : 'Debian python3 lacks torch/anndata (apt-get install python3-torch python3-anndata)';
}

test('live: reference weights through our loader, per-cell r within 1e-4', async (t) => {
  const why = torchAvailable();
  if (why) return t.skip(why);
  const ldvae = (await import('../../../src/models/ldvae/index.js').catch(() => null)) as { loadReferenceWeights?: (p: string) => ReconstructionModel } | null;
  const conv = join(import.meta.dirname, '..', '..', '..', 'src', 'models', 'ldvae', 'tools', 'npz_to_safetensors.py');
  if (!ldvae?.loadReferenceWeights || !existsSync(conv)) return t.skip('models/ldvae has no loadReferenceWeights / npz_to_safetensors.py yet');
  const dir = mkdtempSync(join(tmpdir(), 'scmix-evalref-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const g = spawnSync('/usr/bin/python3', [GEN, dir], { encoding: 'utf8' });
  assert.equal(g.status, 0, g.stderr);
  const st = join(dir, 'ref', 'weights.safetensors');
  const c = spawnSync('/usr/bin/python3', [conv, join(dir, 'ref', 'weights_u.npz'), st], { encoding: 'utf8' });
  assert.equal(c.status, 0, c.stderr);
  const model = ldvae.loadReferenceWeights(st);
  const r = await compare(dir, model);
  t.diagnostic(`live reference: ${r.n} cells, ${r.hvg} HVGs, max |dr| ${r.maxDiff.toExponential(2)}`);
});
