/**
 * Files written by Python anndata 0.8 (test/fixtures/h5ad/make_fixtures.py) load in scmix with
 * the values anndata itself reads back (expected.json).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { openH5ad, readH5ad } from '../../../src/io/index.js';
import { assertValidCsr, close, expected, fixture, frameJson, toDense } from './support.js';

const variants = ['csr_f32.h5ad', 'csr_f32_gzip.h5ad', 'csr_i32_gzip.h5ad', 'csr_i64.h5ad', 'csr_i64_ptr64.h5ad', 'csc_f32.h5ad', 'dense_f32.h5ad', 'raw.h5ad'];

for (const name of variants) {
  test(`anndata-written ${name}: X, obs, var, obsm, varm, uns as anndata reads them`, async () => {
    const e = expected[name];
    const a = await readH5ad(fixture(name));
    assertValidCsr(a.X);
    assert.deepEqual([a.X.nRows, a.X.nCols], e.shape);
    assert.ok(a.X.data instanceof Float32Array);
    assert.deepEqual(toDense(a.X), e.X);
    assert.deepEqual(frameJson(a.obs), e.obs);
    assert.deepEqual(frameJson(a.var), e.var);
    if (e.raw) {
      assert.ok(a.raw, 'raw read');
      assert.deepEqual(toDense(a.raw.X), e.raw.X);
      assert.deepEqual(frameJson(a.raw.var), e.raw.var);
      assert.notDeepEqual(toDense(a.X), e.raw.X, 'X and raw/X differ in the fixture');
    } else {
      assert.equal(a.raw, undefined);
    }
    assert.deepEqual([...a.obsm.keys()], Object.keys(e.obsm));
    assert.deepEqual([...a.varm.keys()], Object.keys(e.varm));
    for (const [k, v] of Object.entries(e.obsm)) assert.ok(close(a.obsm.get(k)!.data, v as number[]), `obsm ${k}`);
    for (const [k, v] of Object.entries(e.varm)) assert.ok(close(a.varm.get(k)!.data, v as number[], 1e-12), `varm ${k}`);
    assert.deepEqual(Object.keys(a.uns).sort(), Object.keys(e.uns).sort());
    if (!e.uns.title) return;
    assert.equal(a.varm.get('loadings')!.data.constructor, Float64Array);
    assert.deepEqual(a.obsm.get('X_pca')!.shape, [e.shape[0], 3]);
    assert.equal(a.uns.title, e.uns.title);
    assert.equal(a.uns.seed, e.uns.seed);
    assert.equal(a.uns.lr, e.uns.lr);
    assert.equal(a.uns.flag, true);
    assert.deepEqual(a.uns.names, e.uns.names);
    assert.deepEqual(a.uns.params, e.uns.params);
  });

  test(`anndata-written ${name}: xInfo reports the stored layout and dtype`, async () => {
    const e = expected[name].xInfo;
    const r = await openH5ad(fixture(name));
    try {
      assert.equal(r.xInfo.encoding, e.encoding);
      assert.equal(r.xInfo.dtype, e.dtype);
      assert.equal(r.xInfo.indptrDtype, e.indptrDtype);
      const filters = Object.values(r.xInfo.filters).flat();
      assert.equal(filters.includes('deflate'), e.compression === 'gzip');
      if (e.encoding !== 'dense') assert.equal(r.xInfo.nnz, expected[name].X.filter((v: number) => v !== 0).length);
    } finally {
      r.close();
    }
  });
}

test('layers: sparse int32 layer -> Csr, dense float32 layer -> Dense', async () => {
  const e = expected['csr_f32.h5ad'];
  const a = await readH5ad(fixture('csr_f32.h5ad'));
  const counts = a.layers.get('counts')!;
  assert.ok('nRows' in counts);
  assert.deepEqual(toDense(counts), e.layers.counts);
  const dl = a.layers.get('dense_log')!;
  assert.ok(!('nRows' in dl));
  assert.deepEqual(dl.shape, e.shape);
  assert.ok(close(dl.data, e.layers.dense_log));
});

test('rowBlocks concatenated equal the full read, for CSR, CSC, dense and a layer', async () => {
  for (const [name, layer] of [['csr_f32.h5ad', undefined], ['csr_i64_ptr64.h5ad', undefined], ['csc_f32.h5ad', undefined], ['dense_f32.h5ad', undefined], ['csr_f32.h5ad', 'counts']] as const) {
    const full = name === 'csr_f32.h5ad' && layer ? expected[name].layers.counts : expected[name].X;
    const r = await openH5ad(fixture(name));
    try {
      const seen: number[] = [];
      let next = 0;
      for (const { start, csr } of r.rowBlocks(7, { layer })) {
        assert.equal(start, next, 'blocks are contiguous');
        assert.ok(csr.nRows <= 7 && csr.nRows > 0);
        assertValidCsr(csr);
        seen.push(...toDense(csr));
        next += csr.nRows;
      }
      assert.equal(next, r.shape[0]);
      assert.deepEqual(seen, full, `${name} ${layer ?? 'X'}`);
    } finally {
      r.close();
    }
  }
});

test("rowBlocks with 'into' fills whole-matrix arrays and yields views into them", async () => {
  for (const name of ['csr_f32.h5ad', 'csr_i32_gzip.h5ad', 'csr_i64_ptr64.h5ad']) {
    const r = await openH5ad(fixture(name));
    try {
      const nnz = r.xInfo.nnz!;
      const into = { data: new Float32Array(nnz), indices: new Int32Array(nnz) };
      const indptr = new Int32Array(r.shape[0] + 1);
      let k = 0;
      for (const { start, csr } of r.rowBlocks(4, { into })) {
        assert.equal(csr.data.buffer, into.data.buffer);
        for (let i = 1; i <= csr.nRows; i++) indptr[start + i] = k + csr.indptr[i];
        k += csr.data.length;
      }
      const full = { nRows: r.shape[0], nCols: r.shape[1], indptr, indices: into.indices, data: into.data };
      assertValidCsr(full);
      assert.deepEqual(toDense(full), expected[name].X, name);
    } finally {
      r.close();
    }
  }
  const c = await openH5ad(fixture('csc_f32.h5ad'));
  try {
    assert.throws(() => [...c.rowBlocks(4, { into: { data: new Float32Array(1), indices: new Int32Array(1) } })], /CSR/);
  } finally {
    c.close();
  }
});

test('nullable-string-array column (anndata >= 0.11) is read as strings, missing -> empty', async () => {
  const a = await readH5ad(fixture('nullable_str.h5ad'));
  assert.deepEqual(frameJson(a.obs).columns.nstr, { kind: 'string', values: expected['nullable_str.h5ad'].nstr });
  assert.equal(a.obs.columns.size, Object.keys(expected['csr_f32.h5ad'].obs.columns).length + 1);
});

test('anndata 0.7 layout: categorical via object reference, dataframe 0.1.0, no root encoding', async () => {
  const e = expected['legacy07.h5ad'];
  const a = await readH5ad(fixture('legacy07.h5ad'));
  assert.deepEqual(toDense(a.X), e.X);
  assert.deepEqual(frameJson(a.obs), e.obs);
  assert.deepEqual(a.var.index, e.var_index);
  assert.equal(a.var.columns.size, 0);
});

test('parallel whole-matrix read (2 and 3 workers) equals the sequential read', async () => {
  // readCsrParallel is internal to the room; readMatrix only uses it above 4M nonzeros
  const { readCsrParallel } = await import('../../../src/io/h5ad/readCsrParallel.js');
  const { matrixSource } = await import('../../../src/io/h5ad/matrixSource.js');
  for (const name of ['csr_f32.h5ad', 'csr_f32_gzip.h5ad']) {
    const r = await openH5ad(fixture(name));
    try {
      for (const threads of [2, 3]) {
        const m = await readCsrParallel(r.file, matrixSource(r.file, fixture(name), 'X'), threads);
        assertValidCsr(m);
        assert.ok(m.data.buffer instanceof SharedArrayBuffer);
        assert.deepEqual(toDense(m), expected[name].X, `${name} threads ${threads}`);
      }
    } finally {
      r.close();
    }
  }
});
