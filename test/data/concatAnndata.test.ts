// concatAnnData against Python anndata 0.8 `ad.concat` on real data (live; skipped with a reason
// when /usr/bin/python3 lacks anndata). Two overlapping gene subsets of the ATC2 fixtures.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readMex, read3ca, writeH5ad } from '../../src/io/index.js';
import { subsetCols, concatAnnData } from '../../src/data/index.js';
import { fixture } from '../support/paths.js';
import { denseOf } from './toy.js';

const PY = '/usr/bin/python3';
const hasAnndata = existsSync(PY) && spawnSync(PY, ['-c', 'import anndata'], { encoding: 'utf8' }).status === 0;
const tmp = mkdtempSync(join(tmpdir(), 'scmix-concat-'));
after(() => rmSync(tmp, { recursive: true, force: true }));

test('concat inner/outer: genes, X and the dataset label equal anndata.concat', { skip: hasAnndata ? false : 'needs /usr/bin/python3 with anndata' }, async () => {
  const a0 = await readMex(fixture('mex', 'atc2_v3_40cells'));
  const b0 = await read3ca(fixture('3ca', 'Data_Gao2021_Thyroid'));
  // A: genes 999..0 (reversed), B: genes 500..1500 -> 500 shared, in different orders
  const A = subsetCols(a0, Array.from({ length: 1000 }, (_, i) => 999 - i));
  const B = subsetCols(b0, Array.from({ length: 1001 }, (_, i) => 500 + i));
  const pa = join(tmp, 'A.h5ad'), pb = join(tmp, 'B.h5ad');
  await writeH5ad(pa, { ...A, uns: {} });
  await writeH5ad(pb, { ...B, uns: {} });
  const script = `
import anndata as ad, json, sys, numpy as np
a, b = ad.read_h5ad(sys.argv[1]), ad.read_h5ad(sys.argv[2])
out = {}
for join in ("inner", "outer"):
    c = ad.concat([a, b], join=join, label="dataset", keys=["A", "B"])
    X = c.X.toarray()
    out[join] = {"var": list(c.var_names), "obs": list(c.obs_names), "label": list(c.obs["dataset"].astype(str)),
                 "rowSums": X.sum(1).tolist(), "colSums": X.sum(0).tolist(), "cell3": X[3].tolist(), "cell50": X[50].tolist()}
print(json.dumps(out))`;
  const r = spawnSync(PY, ['-c', script, pa, pb], { encoding: 'utf8', maxBuffer: 1 << 26 });
  assert.equal(r.status, 0, r.stderr);
  const py = JSON.parse(r.stdout.trim().split('\n').pop()!);
  const check = (join: 'inner' | 'outer') => {
    const c = concatAnnData([A, B], { join, keys: ['A', 'B'] }).adata;
    const e = py[join];
    assert.equal(c.obs.index.length, 70);
    assert.deepEqual(c.obs.index, e.obs);
    const ds = c.obs.columns.get('dataset');
    assert.ok(ds?.kind === 'categorical');
    assert.deepEqual(Array.from(ds.codes, (k) => ds.categories[k]), e.label);
    // inner: same order as anndata; outer: anndata sorts the union, scmix keeps appearance order
    if (join === 'inner') assert.deepEqual(c.var.index, e.var);
    else assert.deepEqual([...c.var.index].sort(), [...e.var].sort());
    const pos = new Map<string, number>(c.var.index.map((g, i) => [g, i]));
    const D = denseOf(c.X);
    assert.deepEqual(D.map((row) => row.reduce((s, v) => s + v, 0)), e.rowSums);
    e.var.forEach((g: string, j: number) => assert.equal(D.reduce((s, row) => s + row[pos.get(g)!], 0), e.colSums[j], `gene ${g}`));
    for (const [cell, key] of [[3, 'cell3'], [50, 'cell50']] as const) assert.deepEqual(e.var.map((g: string) => D[cell][pos.get(g)!]), e[key]);
  };
  check('inner');
  check('outer');
  assert.equal(py.inner.var.length, 500);
  assert.equal(py.outer.var.length, 1501);
});
