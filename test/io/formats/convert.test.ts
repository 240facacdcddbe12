// MEX -> h5ad -> read back equals the source; `scmix convert` with an obs join; atomic failure;
// the converted file read by Python anndata 0.8 (live, when /usr/bin/python3 has it).
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readMex, readH5ad, writeH5ad } from '../../../src/io/index.js';
import { describeCells, normalizeTotal } from '../../../src/data/index.js';
import { convertCommand } from '../../../src/cli/commands/convert.js';
import type { AnnData, Column } from '../../../src/io/annData.js';
import { expected, fixture } from './oracle.js';

const tmp = mkdtempSync(join(tmpdir(), 'scmix-convert-'));
after(() => rmSync(tmp, { recursive: true, force: true }));

const textOf = (c: Column | undefined): string[] => {
  assert.ok(c, 'column exists');
  if (c.kind === 'string') return c.values;
  if (c.kind === 'categorical') return Array.from(c.codes, (k) => (k < 0 ? '' : c.categories[k]));
  throw new Error(`not text: ${c.kind}`);
};

function assertSameCells(a: AnnData, b: AnnData) {
  assert.equal(b.X.nRows, a.X.nRows);
  assert.equal(b.X.nCols, a.X.nCols);
  assert.deepEqual(Array.from(b.X.indptr), Array.from(a.X.indptr));
  assert.deepEqual(b.X.indices, a.X.indices);
  assert.deepEqual(b.X.data, a.X.data);
  assert.deepEqual(b.obs.index, a.obs.index);
  assert.deepEqual(b.var.index, a.var.index);
  for (const k of a.var.columns.keys()) assert.deepEqual(textOf(b.var.columns.get(k)), textOf(a.var.columns.get(k)), `var ${k}`);
}

test('MEX v2 (pbmc3k) -> writeH5ad -> readH5ad equals the source', async () => {
  const a = await readMex(fixture('mex', 'pbmc3k_v2_200cells'));
  const out = join(tmp, 'pbmc.h5ad');
  await writeH5ad(out, { ...a, uns: {} });
  assertSameCells(a, await readH5ad(out));
});

test('MEX v3 -> h5ad (gzip) -> read back equals the source', async () => {
  const a = await readMex(fixture('mex', 'scanpy_v3_chr21'));
  const out = join(tmp, 'v3.h5ad');
  await writeH5ad(out, { ...a, uns: {} }, { compression: 'gzip' });
  assertSameCells(a, await readH5ad(out));
});

test('scmix convert MEX + --obs-csv: obs joined, summary counts, then inspect agrees with numpy QC', async () => {
  const out = join(tmp, 'atc2.h5ad');
  const r = await convertCommand(fixture('mex', 'atc2_v3_40cells'), out, { obsCsv: fixture('csv', 'atc2_obs.csv'), obsKey: 'barcode', quiet: true });
  assert.equal(r.obsJoin?.matched, 40);
  assert.equal(r.integerCounts, true);
  const b = await readH5ad(out);
  const src = await readMex(fixture('mex', 'atc2_v3_40cells'));
  assertSameCells(src, b);
  assert.deepEqual([...b.obs.columns.keys()], ['annotation']);
  assert.equal(textOf(b.obs.columns.get('annotation')).filter((v) => v === 'Immune').length, 8); // pandas: 8 Immune among the 40 barcodes
  // inspect on a converted pbmc3k file reproduces the numpy QC oracle
  const p = join(tmp, 'pbmc-conv.h5ad');
  await convertCommand(fixture('mex', 'pbmc3k_v2_200cells'), p, { quiet: true });
  for (const path of [p, fixture('mex', 'pbmc3k_v2_200cells')]) {
    const s = await describeCells(path);
    assert.equal(s.qc.passDefault, expected.qc_pbmc3k.passDefault.length);
    assert.equal(s.qc.nMitoGenes, expected.qc_pbmc3k.nMito);
    assert.equal(s.nnz, expected.mex.pbmc3k_v2_200cells.nnz);
    assert.equal(s.qc.totalCounts.max, Math.max(...expected.qc_pbmc3k.total));
    assert.equal(s.qc.totalCounts.min, Math.min(...expected.qc_pbmc3k.total));
    assert.equal(s.counts.integer, true);
  }
});

test('a failing convert leaves no output and no temp file behind', async () => {
  const d = join(tmp, 'broken');
  cpSync(fixture('mex', 'atc2_v3_40cells'), d, { recursive: true });
  const gz = readFileSync(join(d, 'matrix.mtx.gz'));
  writeFileSync(join(d, 'matrix.mtx.gz'), gz.subarray(0, gz.length - 100));
  const outDir = join(tmp, 'outs');
  const out = join(outDir, 'x.h5ad');
  await assert.rejects(convertCommand(d, out, { quiet: true }), (e: Error & { code?: string }) => e.code === 'INPUT_FORMAT' && /matrix\.mtx\.gz/.test(e.message));
  assert.equal(existsSync(out), false);
  assert.deepEqual(existsSync(outDir) ? readdirSync(outDir) : [], []);
  await assert.rejects(convertCommand(fixture('mex', 'atc2_v3_40cells'), join(tmp, 'x.h5ad'), { quiet: true, obsCsv: fixture('csv', 'atc2_obs.csv'), obsKey: 'nope' }), (e: Error & { code?: string }) => e.code === 'CONFIG_INVALID' && /"nope"/.test(e.message));
  assert.equal(existsSync(join(tmp, 'x.h5ad')), false);
});

const PY = '/usr/bin/python3';
const hasAnndata = existsSync(PY) && spawnSync(PY, ['-c', 'import anndata'], { encoding: 'utf8' }).status === 0;

test('converted file loads in Python anndata with identical X and obs', { skip: hasAnndata ? false : 'needs /usr/bin/python3 with anndata (apt-get install python3-anndata)' }, async () => {
  const out = join(tmp, 'py.h5ad');
  await convertCommand(fixture('mex', 'atc2_v3_40cells'), out, { obsCsv: fixture('csv', 'atc2_obs.csv'), quiet: true });
  const script = `
import anndata, json, sys, numpy as np, scipy.io, scipy.sparse as sp
a = anndata.read_h5ad(sys.argv[1])
m = scipy.io.mmread(sys.argv[2] + "/matrix.mtx.gz").T.tocsr().astype(np.float32)
X = sp.csr_matrix(a.X)
print(json.dumps({"shape": list(a.shape), "same": bool((X != m).nnz == 0), "dtype": str(a.X.dtype),
  "obs0": a.obs_names[0], "immune": int((a.obs["annotation"].astype(str) == "Immune").sum()),
  "var0": a.var_names[0], "sym0": str(a.var["gene_symbols"].iloc[0])}))`;
  const r = spawnSync(PY, ['-c', script, out, fixture('mex', 'atc2_v3_40cells')], { encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
  const got = JSON.parse(r.stdout.trim().split('\n').pop()!);
  const src = await readMex(fixture('mex', 'atc2_v3_40cells'));
  assert.deepEqual(got, {
    shape: [40, 1501], same: true, dtype: 'float32', obs0: src.obs.index[0], immune: 8,
    var0: src.var.index[0], sym0: textOf(src.var.columns.get('gene_symbols'))[0],
  });
});

test('inspect streams h5ad in row blocks (same summary for 7-row blocks) and flags non-count X', async () => {
  const a = await readMex(fixture('mex', 'pbmc3k_v2_200cells'));
  const p = join(tmp, 'stream.h5ad');
  await writeH5ad(p, { ...a, uns: {} });
  const whole = await describeCells(p);
  const blocks: number[] = [];
  const small = await describeCells(p, { blockRows: 7, onProgress: (d) => blocks.push(d) });
  assert.deepEqual(small, whole);
  assert.equal(blocks.length, Math.ceil(200 / 7));
  assert.equal(blocks[blocks.length - 1], 200);
  const norm = join(tmp, 'norm.h5ad');
  await writeH5ad(norm, { ...a, X: normalizeTotal(a.X), uns: {} });
  const s = await describeCells(norm);
  assert.equal(s.counts.integer, false);
  assert.equal(s.counts.firstBad?.cell, a.obs.index[0]);
  assert.equal(s.counts.firstBad?.gene, a.var.index[a.X.indices[0]]);
  // every cell now sums to 1e4 (> 1000) and mito shares are unchanged (max 0.074): all 200 pass
  assert.equal(s.qc.passDefault, 200);
  assert.ok(Math.abs(s.qc.totalCounts.median - 1e4) < 0.1);
});
