/** scmix write -> scmix read gives back exactly what was written (every column kind), atomically. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, rmSync, writeFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ScmixError } from '../../../src/errors.js';
import { openH5ad, readH5ad, writeH5ad } from '../../../src/io/index.js';
import type { AnnData } from '../../../src/io/index.js';
import { assertValidCsr, frameJson, toDense } from './support.js';
import { emptyishAnnData, sampleAnnData } from './sample.js';

const dir = mkdtempSync(join(tmpdir(), 'scmix-h5ad-rt-'));
test.after(() => rmSync(dir, { recursive: true, force: true }));

function assertSame(b: AnnData, a: AnnData): void {
  assertValidCsr(b.X);
  assert.deepEqual([...b.X.indptr], [...a.X.indptr]);
  assert.deepEqual([...b.X.indices], [...a.X.indices]);
  assert.deepEqual([...b.X.data], [...a.X.data]);
  assert.deepEqual(frameJson(b.obs), frameJson(a.obs));
  assert.deepEqual(frameJson(b.var), frameJson(a.var));
  assert.deepEqual([...b.layers.keys()], [...a.layers.keys()]);
  for (const [k, m] of a.layers) {
    const got = b.layers.get(k)!;
    if ('nRows' in m) assert.deepEqual(toDense(got as typeof m), toDense(m));
    else assert.deepEqual({ shape: (got as typeof m).shape, data: [...(got as typeof m).data] }, { shape: m.shape, data: [...m.data] });
  }
  for (const key of ['obsm', 'varm'] as const) {
    for (const [k, d] of a[key]) {
      const got = b[key].get(k)!;
      assert.deepEqual(got.shape, d.shape);
      assert.equal(got.data.constructor, d.data.constructor, `${key} ${k} keeps its float width`);
      assert.deepEqual([...got.data], [...d.data]);
    }
  }
  assert.deepEqual(b.raw && toDense(b.raw.X), a.raw && toDense(a.raw.X));
  assert.deepEqual(b.raw && frameJson(b.raw.var), a.raw && frameJson(a.raw.var));
}

for (const compression of ['none', 'gzip'] as const) {
  test(`round trip (${compression}): X, obs/var (all column kinds), layers, obsm, varm, uns, raw`, async () => {
    const a = sampleAnnData();
    const path = join(dir, `rt-${compression}.h5ad`);
    await writeH5ad(path, a, { compression });
    const b = await readH5ad(path);
    assertSame(b, a);
    const p = b.uns.provenance as Record<string, unknown>;
    assert.deepEqual(p, {
      tool: 'scmix', version: '0.1.0', seed: 42, lr: 0.001, deterministic: true, dropped: false,
      sources: ['pbmc3k', 'kang'], sizes: new Float64Array([2700, 2000]), weights: new Float64Array([0.25, 0.75]),
      flags: [true, false, true], nested: { depth: 2, note: 'é' },
    });
    assert.deepEqual(b.uns.hvg, Float32Array.from([1.5, 2.5]));
    assert.deepEqual(b.uns.ids, Int32Array.from([3, 1, 2]));
    const r = await openH5ad(path);
    try {
      assert.equal(r.xInfo.dtype, 'float32');
      assert.equal(r.xInfo.indptrDtype, 'int32');
      assert.equal(r.xInfo.indicesDtype, 'int32');
      assert.equal(Object.values(r.xInfo.filters).flat().includes('deflate'), compression === 'gzip');
    } finally {
      r.close();
    }
  });
}

test('a large X (9M nonzeros) is written in pieces (with progress) and streams back exactly', async () => {
  // 9M nonzeros > the 8M-element write piece, so data/indices go through resize + write_slice.
  const nRows = 3000, nCols = 3000;
  const indptr = new Int32Array(nRows + 1);
  for (let r = 0; r < nRows; r++) indptr[r + 1] = indptr[r] + nCols;
  const indices = new Int32Array(nRows * nCols);
  const data = new Float32Array(nRows * nCols);
  for (let i = 0; i < data.length; i++) { indices[i] = i % nCols; data[i] = (i % 1000) + 1; }
  const index = (p: string, k: number): string[] => Array.from({ length: k }, (_, i) => `${p}${i}`);
  const a: AnnData = {
    X: { nRows, nCols, indptr, indices, data },
    obs: { index: index('c', nRows), columns: new Map() }, var: { index: index('g', nCols), columns: new Map() },
    layers: new Map(), obsm: new Map(), varm: new Map(), uns: {},
  };
  const path = join(dir, 'big.h5ad');
  const wrote: number[] = [];
  await writeH5ad(path, a, { onProgress: (done, total) => { assert.equal(total, nRows * nCols); wrote.push(done); } });
  assert.ok(wrote.length >= 3, 'several progress calls for a piecewise write');
  assert.deepEqual(wrote, [...wrote].sort((x, y) => x - y), 'progress never goes back');
  assert.equal(wrote[wrote.length - 1], nRows * nCols);
  const readRows: number[] = [];
  const full = await readH5ad(path, { onProgress: (done, total) => { assert.equal(total, nRows); readRows.push(done); } });
  assert.equal(readRows[readRows.length - 1], nRows);
  assert.equal(full.X.data.length, nRows * nCols);
  assert.equal(full.X.data[nRows * nCols - 1], data[nRows * nCols - 1]);
  const r = await openH5ad(path);
  try {
    assert.equal(r.xInfo.nnz, nRows * nCols);
    let k = 0;
    let blocks = 0;
    for (const { start, csr } of r.rowBlocks(1e9)) {
      assert.equal(start * nCols, k);
      // one block stays under the 100 MB cap (8 bytes per nonzero)
      assert.ok(csr.data.length * 8 <= 100 * 1024 * 1024);
      for (let i = 0; i < csr.data.length; i++) if (csr.data[i] !== data[k + i] || csr.indices[i] !== indices[k + i]) assert.fail(`mismatch at ${k + i}`);
      k += csr.data.length;
      blocks++;
    }
    assert.equal(k, data.length);
    assert.ok(blocks >= 1);
  } finally {
    r.close();
  }
});

test('writeH5ad refuses an inconsistent AnnData before creating any file', async () => {
  const a = sampleAnnData();
  const bad: AnnData = { ...a, obs: { index: a.obs.index.slice(1), columns: new Map() } };
  const path = join(dir, 'bad-shape.h5ad');
  await assert.rejects(writeH5ad(path, bad), (e: unknown) => e instanceof ScmixError && e.code === 'SHAPE_MISMATCH' && e.message.includes(path) && e.message.includes('obs'));
  assert.equal(existsSync(path), false);
  assert.deepEqual(readdirSync(dir).filter((f) => f.includes('bad-shape')), []);
});

test('writeH5ad refuses NaN in an int64 column before creating any file', async () => {
  const a = sampleAnnData();
  const cols = new Map(a.obs.columns);
  cols.set('n_genes', { kind: 'number', values: Float64Array.from(a.obs.index, (_, i) => (i === 3 ? NaN : i)), dtype: 'int64' });
  const path = join(dir, 'nan.h5ad');
  await assert.rejects(writeH5ad(path, { ...a, obs: { index: a.obs.index, columns: cols } }),
    (e: unknown) => e instanceof ScmixError && e.code === 'INPUT_VALUE' && e.message.includes('n_genes') && e.message.includes('NaN'));
  assert.deepEqual(readdirSync(dir).filter((f) => f.includes('nan.h5ad')), []);
});

test('writeH5ad failing mid-write leaves neither the target nor a temp file, and keeps an old file', async () => {
  const a = sampleAnnData();
  const path = join(dir, 'mid.h5ad');
  writeFileSync(path, 'previous content');
  // A '/' in an uns key is only found while writing uns, after X/obs/var are on disk.
  const bad: AnnData = { ...a, uns: { 'a/b': 1 } };
  await assert.rejects(writeH5ad(path, bad), (e: unknown) => e instanceof ScmixError && e.code === 'INPUT_VALUE' && e.message.includes('a/b'));
  assert.deepEqual(readdirSync(dir).filter((f) => f.includes('mid.h5ad')), ['mid.h5ad']);
  assert.equal((await import('node:fs')).readFileSync(path, 'utf8'), 'previous content');
});

test('edge shapes round trip: zero nonzeros, zero rows, empty categories, empty uns array', async () => {
  for (const n of [3, 0]) {
    for (const compression of ['none', 'gzip'] as const) {
      const a = emptyishAnnData(n);
      const path = join(dir, `edge-${n}-${compression}.h5ad`);
      await writeH5ad(path, a, { compression });
      const b = await readH5ad(path);
      assert.deepEqual([b.X.nRows, b.X.nCols, b.X.data.length], [n, 2, 0]);
      assert.deepEqual(frameJson(b.obs), frameJson(a.obs));
      assert.deepEqual(b.uns, { empty: new Float64Array(0), note: '' });
    }
  }
});

test('a Float64Array indptr below 2^31 nonzeros is written as int32, like scipy', async () => {
  const a = sampleAnnData();
  const X = { ...a.X, indptr: Float64Array.from(a.X.indptr) };
  const path = join(dir, 'ptr64.h5ad');
  await writeH5ad(path, { ...a, X });
  const r = await openH5ad(path);
  try {
    assert.equal(r.xInfo.indptrDtype, 'int32');
    assert.deepEqual(toDense(await r.readMatrix()), toDense(a.X));
  } finally {
    r.close();
  }
});
