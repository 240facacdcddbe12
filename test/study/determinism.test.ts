import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { writeAtlas } from '../../src/simulate/index.js';
import { buildStudyCorpora, loadStudy } from '../../src/study/index.js';
import { MINI } from './support.js';

// Real files through the io room: simulate (h5ad), build twice, compare bytes.
const dir = mkdtempSync(join(tmpdir(), 'scmix-det-'));
await writeAtlas(join(dir, 'atlas'), { seed: 1, scale: 0.3, nGenes: 200 });
writeFileSync(join(dir, 'study.yaml'), MINI);

test('identical inputs and seed give byte-identical corpora, manifests and eval sets', async () => {
  const study = loadStudy(join(dir, 'study.yaml'));
  const a = await buildStudyCorpora(study, { outDir: join(dir, 'runA'), evalsets: true });
  const b = await buildStudyCorpora(study, { outDir: join(dir, 'runB'), evalsets: true });
  assert.equal(a.ran.length, 5 * 2 + 1);
  assert.deepEqual(a.ran, b.ran);
  for (const id of a.ran) {
    const st = a.graph.stages.get(id)!;
    for (const out of st.outputs) {
      const other = out.replace(join(dir, 'runA'), join(dir, 'runB'));
      assert.ok(readFileSync(out).equals(readFileSync(other)), `${out} differs`);
    }
  }
  const m = JSON.parse(readFileSync(join(dir, 'runA', 'corpora', 'Blood+BM', 'seed1', 'manifest.json'), 'utf8'));
  assert.equal(m.seed, 1);
  assert.match(m.sources.blood.sha256, /^[0-9a-f]{64}$/);
  assert.equal(m.sources.blood.bytes, readFileSync(join(dir, 'atlas', 'blood.h5ad')).length);
  assert.equal(m.scmixVersion, '0.1.0');
});

test('the simulated atlas itself is byte-identical for the same seed', async () => {
  const other = mkdtempSync(join(tmpdir(), 'scmix-det2-'));
  await writeAtlas(other, { seed: 1, scale: 0.3, nGenes: 200, only: ['k562'] });
  assert.ok(readFileSync(join(other, 'k562.h5ad')).equals(readFileSync(join(dir, 'atlas', 'k562.h5ad'))));
});


const py = spawnSync('/usr/bin/python3', ['-c', 'import anndata, scipy'], { encoding: 'utf8' });
test('python anndata reads a corpus with the same counts, obs and var', { skip: py.status !== 0 ? 'python3 anndata not installed (/usr/bin/python3)' : false }, () => {
  const f = join(dir, 'runA', 'corpora', 'Blood+BM', 'seed0', 'corpus.h5ad');
  const script = `
import anndata, json, sys, numpy as np
a = anndata.read_h5ad(sys.argv[1])
X = a.X.tocsr()
print(json.dumps({"shape": list(a.shape), "fmt": a.X.format, "sum": float(X.sum()), "row0": float(X[0].sum()),
  "datasets": sorted(a.obs["dataset"].value_counts().to_dict().items()), "var0": a.var_names[0], "obs0": a.obs_names[0],
  "int": bool(np.all(X.data == np.round(X.data)))}))
`;
  const r = spawnSync('/usr/bin/python3', ['-c', script, f], { encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
  const got = JSON.parse(r.stdout);
  const m = JSON.parse(readFileSync(join(dir, 'runA', 'corpora', 'Blood+BM', 'seed0', 'manifest.json'), 'utf8'));
  assert.deepEqual(got.shape, [m.nCells, m.nGenes]);
  assert.equal(got.fmt, 'csr');
  assert.equal(got.obs0, '0');
  assert.ok(got.int);
  assert.deepEqual(got.datasets, [['b1', 200], ['bm', m.components[1].nCells]]);
});
