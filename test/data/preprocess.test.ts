// normalize_total / log1p / HVG against the project's scanpy reference (ldvae_ref.py, checked
// against scanpy 1.10.2) and QC metrics against numpy, on real 10x data (committed subsets).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readMex } from '../../src/io/formats/index.js';
import { normalizeTotal, log1pInPlace, highlyVariableGenes, qcMetrics, applyQc } from '../../src/data/index.js';
import type { Csr } from '../../src/io/annData.js';
import { expected, fixture } from '../io/formats/oracle.js';

const pbmc = await readMex(fixture('mex', 'pbmc3k_v2_200cells'));
const logOf = (X: Csr) => log1pInPlace(normalizeTotal(X));

test('QC metrics on pbmc3k equal numpy (study formulas)', () => {
  const q = qcMetrics(pbmc);
  const e = expected.qc_pbmc3k;
  assert.equal(q.symbolSource, 'gene_symbols');
  assert.equal(q.nMitoGenes, e.nMito);
  assert.deepEqual(Array.from(q.totalCounts), e.total);
  assert.deepEqual(Array.from(q.nGenes), e.nGenes);
  for (let i = 0; i < e.mitoFraction.length; i++) assert.ok(Math.abs(q.mitoFraction[i] - e.mitoFraction[i]) <= 1e-15, `cell ${i}`);
  const r = applyQc(pbmc);
  assert.deepEqual(Array.from(r.keep).flatMap((k, i) => (k ? [i] : [])), e.passDefault);
  assert.equal(r.nKept, e.passDefault.length);
  assert.equal(r.adata.X.nRows, e.passDefault.length);
  assert.equal(r.adata.obs.index[0], pbmc.obs.index[e.passDefault[0]]);
  assert.ok(r.nKept < 200 && r.nKept > 100, `some cells fail QC (${r.nKept} kept)`);
});

test('normalize_total(1e4) + log1p equals the reference within 1 float32 ulp', () => {
  const L = logOf(pbmc.X);
  const e = expected.norm_pbmc3k;
  for (let r = 0; r < L.nRows; r++) {
    let s = 0;
    for (let k = L.indptr[r]; k < L.indptr[r + 1]; k++) s += L.data[k];
    assert.ok(Math.abs(s - e.rowSums[r]) <= 1e-6 * Math.abs(e.rowSums[r]), `row ${r} sum ${s} vs ${e.rowSums[r]}`);
  }
  for (const [row, { indices, data }] of Object.entries(e.rows)) {
    const r = Number(row);
    assert.deepEqual(Array.from(L.indices.subarray(L.indptr[r], L.indptr[r + 1])), indices);
    const got = L.data.subarray(L.indptr[r], L.indptr[r + 1]);
    data.forEach((v, i) => assert.ok(Math.abs(got[i] - v) <= 2.4e-7 * Math.max(1, v), `row ${r} value ${i}: ${got[i]} vs ${v}`));
  }
  // normalized (before log) rows sum to 1e4
  const N = normalizeTotal(pbmc.X);
  let s = 0;
  for (let k = N.indptr[5]; k < N.indptr[6]; k++) s += N.data[k];
  assert.ok(Math.abs(s - 1e4) < 1e-2);
});

test('HVG (seurat, n_top 500 and 2000) selects exactly the reference gene set on pbmc3k', () => {
  const L = logOf(pbmc.X);
  for (const n of [500, 2000] as const) {
    const h = highlyVariableGenes(L, { nTop: n });
    assert.deepEqual(Array.from(h.indices), expected.hvg_pbmc3k[n].indices, `n_top ${n}`);
    assert.equal(h.indices.length, expected.hvg_pbmc3k[n].count);
  }
  const h = highlyVariableGenes(L, { nTop: 2000 });
  expected.hvg_pbmc3k.dispersionsNorm.forEach((v, g) => {
    if (v === null) assert.ok(Number.isNaN(h.dispersionsNorm[g]), `gene ${g} NaN`);
    else assert.ok(Math.abs(h.dispersionsNorm[g] - v) <= 1e-5 * Math.max(1, Math.abs(v)), `gene ${g}: ${h.dispersionsNorm[g]} vs ${v}`);
  });
});

test('HVG NaN rule: all-zero genes are selectable when the cutoff is <= 0 (1.10.2), not with nanSelectable=false (1.10.3)', async () => {
  const a = await readMex(fixture('mex', 'scanpy_v3_chr21'));
  const L = logOf(a.X);
  const e = expected.hvg_v3chr21;
  assert.deepEqual(Array.from(highlyVariableGenes(L, { nTop: 100 }).indices), e['100_nansel']);
  assert.deepEqual(Array.from(highlyVariableGenes(L, { nTop: 480 }).indices), e['480_nansel']);
  assert.deepEqual(Array.from(highlyVariableGenes(L, { nTop: 480, nanSelectable: false }).indices), e['480_nonan']);
  assert.ok(e['100_nansel'].length > 100, 'the oracle itself shows the tie/NaN effect');
});
