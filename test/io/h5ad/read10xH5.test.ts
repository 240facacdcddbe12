/**
 * Cell Ranger .h5 (v3 /matrix layout and v2 /<genome> layout, scanpy's test files) against the
 * MEX files Cell Ranger wrote next to them (read by scipy in make_fixtures.py -> expected.json).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { read10xH5 } from '../../../src/io/index.js';
import type { Column } from '../../../src/io/index.js';
import { assertValidCsr, expected, fixture, toDense } from './support.js';

const ends = (xs: string[]): string[] => [...xs.slice(0, 10), ...xs.slice(-10)];
const strs = (c: Column | undefined): string[] => (c && c.kind === 'string' ? c.values : []);

for (const name of ['10x_v3.h5', '10x_v2.h5']) {
  test(`read10xH5 ${name}: cells x genes CSR equal to the MEX matrix`, async () => {
    const e = expected['10x'][name];
    const a = await read10xH5(fixture(name));
    assertValidCsr(a.X);
    assert.deepEqual([a.X.nRows, a.X.nCols], e.shape);
    assert.equal(a.X.data.length, e.nnz);
    const sums: number[] = [];
    const nnz: number[] = [];
    for (let r = 0; r < a.X.nRows; r++) {
      let s = 0;
      for (let k = a.X.indptr[r]; k < a.X.indptr[r + 1]; k++) s += a.X.data[k];
      sums.push(s);
      nnz.push(a.X.indptr[r + 1] - a.X.indptr[r]);
    }
    assert.deepEqual(sums, e.rowSums);
    assert.deepEqual(nnz, e.rowNnz);
    const first = Math.min(20, a.X.nRows);
    const head = { ...a.X, nRows: first, indptr: a.X.indptr.subarray(0, first + 1) };
    assert.deepEqual(toDense(head), e.first20);
    assert.deepEqual(ends(a.obs.index), e.barcodes);
    assert.deepEqual(ends(a.var.index), e.ids);
    assert.deepEqual(ends(strs(a.var.columns.get('gene_symbols'))), e.symbols);
    if (e.types) {
      assert.deepEqual(ends(strs(a.var.columns.get('feature_types'))), e.types);
      assert.ok(strs(a.var.columns.get('genome')).every((g) => g === 'GRCh38_chr21'));
    }
  });
}
