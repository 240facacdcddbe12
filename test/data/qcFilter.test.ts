import { test } from 'node:test';
import assert from 'node:assert/strict';
import { qcMetrics, applyQc, filterObs } from '../../src/data/index.js';
import { ScmixError } from '../../src/errors.js';
import { toy, str, num, cat } from './toy.js';

// 4 cells x 4 genes; genes 2 and 3 are mitochondrial by symbol (var column gene_symbols).
const a = toy(
  [
    [900, 50, 40, 11], // total 1001, mito 51/1001 = 0.0509 -> keep
    [800, 100, 90, 10], // total 1000 -> drop (total must be > 1000)
    [1800, 0, 200, 0], // total 2000, mito 0.1 exactly -> drop (strict <)
    [0, 0, 0, 0], // empty: mito NaN -> drop
  ],
  ['ENSG1', 'ENSG2', 'ENSG3', 'ENSG4'],
  undefined,
  [['cell_type', cat(['T', 'B', 'T', null])], ['gene', str(['non-targeting', 'TP53', 'MYC', 'TP53'])], ['UMI_count', num([5000, 999, 2000, 1500])], ['mitopercent', num([0.01, 0.01, 0.2, 0.05])]],
  [['gene_symbols', str(['CD3E', 'CD19', 'MT-CO1', 'MT-ND1'])]],
);

test('qcMetrics by hand: totals, genes, mito fraction (symbols from gene_symbols)', () => {
  const q = qcMetrics(a);
  assert.deepEqual(Array.from(q.totalCounts), [1001, 1000, 2000, 0]);
  assert.deepEqual(Array.from(q.nGenes), [4, 4, 2, 0]);
  assert.deepEqual(Array.from(q.mitoCounts), [51, 100, 200, 0]);
  assert.equal(q.mitoFraction[0], 51 / 1001);
  assert.equal(q.mitoFraction[2], 0.1);
  assert.ok(Number.isNaN(q.mitoFraction[3]));
  assert.equal(q.nMitoGenes, 2);
  assert.equal(q.symbolSource, 'gene_symbols');
  // '_index' forces the var index (Ensembl ids here: no MT- symbols)
  assert.equal(qcMetrics(a, { symbolColumn: '_index' }).nMitoGenes, 0);
  assert.equal(qcMetrics(a, { symbolColumn: '_index', mitoPrefix: 'ENSG4' }).nMitoGenes, 1);
  assert.throws(() => qcMetrics(a, { symbolColumn: 'feature_name' }), /no column "feature_name"/);
});

test('applyQc: strict inequalities (total > 1000, mito < 0.1), empty cell dropped', () => {
  const r = applyQc(a);
  assert.deepEqual(Array.from(r.keep), [1, 0, 0, 0]);
  assert.deepEqual(r.adata.obs.index, ['c0']);
  const loose = applyQc(a, { minTotal: 999, maxMito: 0.11 });
  assert.deepEqual(Array.from(loose.keep), [1, 1, 1, 0]);
});

test('applyQc obs mode reads author columns (UMI_count, mitopercent)', () => {
  const r = applyQc(a, { mode: 'obs', totalColumn: 'UMI_count', mitoColumn: 'mitopercent' });
  assert.deepEqual(Array.from(r.keep), [1, 0, 0, 1]);
  assert.throws(() => applyQc(a, { mode: 'obs', totalColumn: 'n_counts', mitoColumn: 'mitopercent' }), (e: ScmixError) => e.code === 'CONFIG_INVALID' && /"n_counts"/.test(e.message) && /UMI_count/.test(e.message));
  assert.throws(() => applyQc(a, { mode: 'obs', totalColumn: 'gene', mitoColumn: 'mitopercent' }), (e: ScmixError) => e.code === 'CONFIG_INVALID' && /not numeric/.test(e.message));
});

test('filterObs: equals / in / not-in; missing values fail equals and pass not-in', () => {
  assert.deepEqual(Array.from(filterObs(a, [{ column: 'cell_type', op: 'equals', value: 'T' }]).keep), [1, 0, 1, 0]);
  assert.deepEqual(Array.from(filterObs(a, [{ column: 'cell_type', op: 'in', value: ['B', 'T'] }]).keep), [1, 1, 1, 0]);
  assert.deepEqual(Array.from(filterObs(a, [{ column: 'cell_type', op: 'not-in', value: ['B'] }]).keep), [1, 0, 1, 1]);
  assert.deepEqual(Array.from(filterObs(a, [{ column: 'gene', op: 'not-in', value: ['non-targeting'] }]).keep), [0, 1, 1, 1]);
  // numbers compare by value, whether given as number or text
  assert.deepEqual(Array.from(filterObs(a, [{ column: 'UMI_count', op: 'in', value: ['2000.0', 999] }]).keep), [0, 1, 1, 0]);
  // AND across filters, with counts after each
  const r = filterObs(a, [{ column: 'cell_type', op: 'equals', value: 'T' }, { column: 'gene', op: 'not-in', value: ['non-targeting'] }]);
  assert.deepEqual(r.keptAfter, [2, 1]);
  assert.deepEqual(r.adata.obs.index, ['c2']);
  assert.equal(r.adata.X.data[0], 1800);
});

test('filterObs on a missing column -> CONFIG_INVALID naming it and listing the columns', () => {
  assert.throws(
    () => filterObs(a, [{ column: 'disease', op: 'equals', value: 'normal' }]),
    (e: ScmixError) => e.code === 'CONFIG_INVALID' && /"disease"/.test(e.message) && /cell_type \(categorical\(2\)\)/.test(e.message) && /UMI_count/.test(e.message),
  );
  assert.throws(() => filterObs(a, [{ column: 'gene', op: 'like' as 'in', value: 'x' }]), (e: ScmixError) => e.code === 'CONFIG_INVALID');
});
