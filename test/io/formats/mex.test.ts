import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readMex, findMexFiles } from '../../../src/io/formats/index.js';
import type { AnnData, Column } from '../../../src/io/annData.js';
import { expected, fixture } from './oracle.js';

const strings = (c: Column | undefined) => {
  assert.ok(c && c.kind === 'string');
  return c.values;
};

function checkAgainstScipy(a: AnnData, name: string) {
  const e = expected.mex[name];
  assert.deepEqual([a.X.nRows, a.X.nCols], e.shape);
  assert.equal(a.X.indptr[a.X.nRows], e.nnz);
  assert.equal(a.X.indices.length, e.nnz);
  assert.equal(a.obs.index[0], e.firstBarcode);
  assert.equal(a.obs.index[a.obs.index.length - 1], e.lastBarcode);
  assert.equal(a.var.index[0], e.firstFeature[0]);
  assert.equal(strings(a.var.columns.get('gene_symbols'))[0], e.firstFeature[1]);
  assert.equal(a.var.index[a.var.index.length - 1], e.lastFeature[0]);
  let sum = 0;
  const geneTotals = new Float64Array(a.X.nCols);
  for (let r = 0; r < a.X.nRows; r++) {
    let t = 0;
    for (let k = a.X.indptr[r]; k < a.X.indptr[r + 1]; k++) {
      t += a.X.data[k];
      geneTotals[a.X.indices[k]] += a.X.data[k];
      if (k > a.X.indptr[r]) assert.ok(a.X.indices[k] > a.X.indices[k - 1], 'indices sorted within rows');
    }
    assert.equal(t, e.cellTotals[r], `cell ${r} total`);
    sum += t;
  }
  assert.equal(sum, e.sum);
  if (e.geneTotals) assert.deepEqual(Array.from(geneTotals), e.geneTotals);
  for (const [r, c, v] of e.entries) {
    let found = NaN;
    for (let k = a.X.indptr[r]; k < a.X.indptr[r + 1]; k++) if (a.X.indices[k] === c) found = a.X.data[k];
    assert.equal(found, v, `X[${r}, ${c}]`);
  }
}

test('MEX v2 (pbmc3k subset, genes.tsv plain, matrix.mtx.gz) equals scipy.io.mmread', async () => {
  const a = await readMex(fixture('mex', 'pbmc3k_v2_200cells'));
  checkAgainstScipy(a, 'pbmc3k_v2_200cells');
  assert.deepEqual([...a.var.columns.keys()], ['gene_symbols']);
  assert.equal(a.obs.columns.size, 0);
  assert.equal(findMexFiles(fixture('mex', 'pbmc3k_v2_200cells')).version, 'v2');
});

test('MEX v2 (Cell Ranger 1.2.0, all plain) equals scipy', async () => {
  checkAgainstScipy(await readMex(fixture('mex', 'scanpy_v2_chr21')), 'scanpy_v2_chr21');
});

test('MEX v3 (Cell Ranger 3.0.0, gz) equals scipy; feature_types kept', async () => {
  const a = await readMex(fixture('mex', 'scanpy_v3_chr21'));
  checkAgainstScipy(a, 'scanpy_v3_chr21');
  assert.deepEqual([...a.var.columns.keys()], ['gene_symbols', 'feature_types']);
  assert.equal(strings(a.var.columns.get('feature_types'))[0], 'Gene Expression');
  assert.match(a.var.index[0], /^ENSG\d+$/);
});

test('MEX given as the matrix file path reads the same', async () => {
  const a = await readMex(fixture('mex', 'atc2_v3_40cells', 'matrix.mtx.gz'));
  checkAgainstScipy(a, 'atc2_v3_40cells');
});

test('progress callback reaches the file size', async () => {
  let last = [0, 0];
  await readMex(fixture('mex', 'atc2_v3_40cells'), { onProgress: (d, t) => (last = [d, t]) });
  assert.ok(last[1] > 0);
  assert.equal(last[0], last[1]);
});
