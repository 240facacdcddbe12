/**
 * A file written by scmix loads in Python anndata (0.8 on Debian) with identical X, obs/var
 * values AND dtypes, categoricals, booleans, layers, obsm, uns and raw. Runs live when
 * /usr/bin/python3 can import anndata; otherwise skipped with the reason.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { writeH5ad } from '../../../src/io/index.js';
import { emptyishAnnData, sampleAnnData } from './sample.js';
import { toDense } from './support.js';

const PY = '/usr/bin/python3';
const here = dirname(fileURLToPath(import.meta.url));
const haveAnndata = spawnSync(PY, ['-c', 'import anndata'], { encoding: 'utf8' }).status === 0;
const dir = mkdtempSync(join(tmpdir(), 'scmix-h5ad-py-'));
test.after(() => rmSync(dir, { recursive: true, force: true }));

const rows = (flat: ArrayLike<number>, cols: number): number[][] =>
  Array.from({ length: flat.length / cols }, (_, r) => Array.from(flat).slice(r * cols, (r + 1) * cols));

for (const compression of ['none', 'gzip'] as const) {
  test(`Python anndata reads an scmix-written h5ad (${compression})`, (t) => {
    if (!haveAnndata) { t.skip('python3-anndata not installed'); return; }
    const a = sampleAnnData();
    const path = join(dir, `scmix-${compression}.h5ad`);
    return writeH5ad(path, a, { compression }).then(() => {
      const r = spawnSync(PY, [join(here, 'check_anndata.py'), path, join(dir, `rewrite-${compression}.h5ad`)], { encoding: 'utf8', maxBuffer: 1 << 26 });
      assert.equal(r.status, 0, r.stderr);
      const py = JSON.parse(r.stdout);
      const n = a.X.nRows, g = a.X.nCols;
      assert.deepEqual(py.X.type, 'csr_matrix');
      assert.equal(py.X.dtype, 'float32');
      assert.equal(py.X.indptr, 'int32');
      assert.deepEqual(py.X.dense, rows(Float64Array.from(toDense(a.X)), g));
      assert.deepEqual(py.backed_rows_1_3, py.X.dense.slice(1, 3), 'backed=\'r\' partial read');
      assert.deepEqual(py.obs_names, a.obs.index);
      assert.deepEqual(py.var_names, a.var.index);
      // obs: values and dtypes exactly as pandas reports them
      assert.deepEqual(py.obs.cell_type, {
        dtype: 'category', categories: ['T cell', 'B', 'NK é'], ordered: false,
        codes: Array.from({ length: n }, (_, i) => (i % 5 === 4 ? -1 : i % 3)),
      });
      assert.deepEqual(py.obs.stage, { dtype: 'category', categories: ['early', 'late'], ordered: true, codes: Array.from({ length: n }, (_, i) => i % 2) });
      assert.deepEqual(py.obs.barcode_note, { dtype: 'object', values: Array.from({ length: n }, (_, i) => `note-α${i}`) });
      assert.deepEqual(py.obs.total, { dtype: 'float64', values: Array.from({ length: n }, (_, i) => i * 1.5 + 0.1) });
      assert.deepEqual(py.obs.n_genes, { dtype: 'int64', values: Array.from({ length: n }, (_, i) => i * 3) });
      assert.deepEqual(py.obs.frac32, { dtype: 'float32', values: Array.from({ length: n }, (_, i) => Math.fround(i / 8)) });
      assert.deepEqual(py.obs.small_int, { dtype: 'int32', values: Array.from({ length: n }, (_, i) => i % 7) });
      assert.deepEqual(py.obs.pass_qc, { dtype: 'bool', values: Array.from({ length: n }, (_, i) => i % 3 === 0) });
      assert.deepEqual(py.obs.maybe_int, { dtype: 'Int64', values: Array.from({ length: n }, (_, i) => (i % 4 === 0 ? null : i)) });
      assert.deepEqual(py.obs.maybe_bool, { dtype: 'boolean', values: Array.from({ length: n }, (_, i) => (i % 5 === 0 ? null : i % 2 === 1)) });
      assert.deepEqual(py.var.highly_variable, { dtype: 'bool', values: Array.from({ length: g }, (_, i) => i % 2 === 0) });
      assert.deepEqual(py.var.gene_symbols.values, Array.from({ length: g }, (_, i) => `GENE-β${i}`));
      // layers, obsm, varm
      assert.equal(py.layers.counts.sparse, true);
      assert.equal(py.layers.counts.dtype, 'float32');
      assert.deepEqual(py.layers.counts.dense, rows(toDense(a.layers.get('counts') as never), g));
      assert.equal(py.layers.dense.sparse, false);
      assert.deepEqual(py.layers.dense.dense, rows((a.layers.get('dense') as { data: Float32Array }).data, g));
      assert.equal(py.obsm.X_ldvae.dtype, 'float32');
      assert.deepEqual(py.obsm.X_ldvae.values, rows(a.obsm.get('X_ldvae')!.data, 3));
      assert.equal(py.varm.loadings.dtype, 'float64');
      assert.deepEqual(py.varm.loadings.values, rows(a.varm.get('loadings')!.data, 2));
      // uns provenance: types as numpy sees them
      const p = py.uns.provenance;
      assert.equal(p.tool, 'scmix');
      assert.deepEqual(p.seed, { scalar: 'int64', value: 42 });
      assert.deepEqual(p.lr, { scalar: 'float64', value: 0.001 });
      assert.deepEqual(p.deterministic, { scalar: 'bool', value: true });
      assert.deepEqual(p.dropped, { scalar: 'bool', value: false });
      assert.deepEqual(p.sources, { ndarray: 'object', values: ['pbmc3k', 'kang'] });
      assert.deepEqual(p.sizes, { ndarray: 'int64', values: [2700, 2000] });
      assert.deepEqual(p.weights, { ndarray: 'float64', values: [0.25, 0.75] });
      assert.deepEqual(p.flags, { ndarray: 'bool', values: [true, false, true] });
      assert.deepEqual(p.nested, { depth: { scalar: 'int64', value: 2 }, note: 'é' });
      assert.deepEqual(py.uns.hvg, { ndarray: 'float32', values: [1.5, 2.5] });
      assert.deepEqual(py.raw.dense, rows(toDense(a.raw!.X), g + 2));
      assert.deepEqual(py.raw.var_names, a.raw!.var.index);
    });
  });
}

test('Python anndata reads scmix edge shapes (no nonzeros, zero rows, empty categories)', async (t) => {
  if (!haveAnndata) { t.skip('python3-anndata not installed'); return; }
  for (const n of [3, 0]) {
    const path = join(dir, `edge-${n}.h5ad`);
    await writeH5ad(path, emptyishAnnData(n), { compression: 'gzip' });
    const r = spawnSync(PY, [join(here, 'check_anndata.py'), path, join(dir, `edge-rewrite-${n}.h5ad`)], { encoding: 'utf8' });
    assert.equal(r.status, 0, r.stderr);
    const py = JSON.parse(r.stdout);
    assert.deepEqual(py.X.dense, Array.from({ length: n }, () => [0, 0]));
    assert.deepEqual(py.obs.allna, { dtype: 'category', categories: [], ordered: false, codes: new Array(n).fill(-1) });
    assert.deepEqual(py.obs.flag, { dtype: 'bool', values: new Array(n).fill(false) });
    assert.deepEqual(py.obs.label.dtype, 'object');
    assert.deepEqual(py.uns, { empty: { ndarray: 'float64', values: [] }, note: '' });
  }
});
