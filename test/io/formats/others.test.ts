import { test } from 'node:test';
import assert from 'node:assert/strict';
import { read3ca, readGct, readCsvTable, joinObsCsv, readMex, detectCellsFormat, studyNameFromDir } from '../../../src/io/formats/index.js';
import { ScmixError } from '../../../src/errors.js';
import { expected, fixture } from './oracle.js';

test('3CA study folder: cells x genes, obs from Cells.csv + study, var = symbols', async () => {
  const dir = fixture('3ca', 'Data_Gao2021_Thyroid');
  const a = await read3ca(dir);
  assert.equal(a.X.nRows, 30);
  assert.equal(a.X.nCols, expected.mex.atc2_v3_40cells.shape[1]);
  assert.equal(a.var.index.length, a.X.nCols);
  const ct = a.obs.columns.get('cell_type');
  assert.ok(ct?.kind === 'string');
  assert.equal(ct.values.filter((v) => v === 'Malignant').length, 20);
  const study = a.obs.columns.get('study');
  assert.ok(study?.kind === 'string' && study.values[0] === 'Gao2021');
  assert.equal(studyNameFromDir('/x/Data_Galen2019_Hematologic/'), 'Galen2019');
  // complexity column = detected genes per cell: check against X
  const cx = a.obs.columns.get('complexity');
  assert.ok(cx?.kind === 'number' && cx.dtype === 'int64');
  for (let r = 0; r < a.X.nRows; r++) assert.equal(cx.values[r], a.X.indptr[r + 1] - a.X.indptr[r]);
  // the same genes as the MEX fixture built from the same source, same order
  const m = await readMex(fixture('mex', 'atc2_v3_40cells'));
  const sym = m.var.columns.get('gene_symbols');
  assert.ok(sym?.kind === 'string');
  assert.deepEqual(a.var.index, sym.values);
  assert.equal(detectCellsFormat(dir), '3ca');
});

test('GCT v1.2 (plain and gz) and v1.3 with metadata', async () => {
  for (const f of ['toy_v12.gct', 'toy_v12_copy.gct.gz']) {
    const g = await readGct(fixture('gct', f));
    assert.equal(g.version, '1.2');
    assert.deepEqual([g.nRows, g.nCols], [3, 4]);
    assert.deepEqual(g.colIds, ['Adipose - Subcutaneous', 'Whole Blood', 'Liver', 'Lung']);
    assert.equal(g.rowIds[2], 'ENSG00000105329.9');
    const d = g.rowMeta.columns.get('Description');
    assert.ok(d?.kind === 'string' && d.values[1] === 'WASH7P');
    assert.deepEqual(Array.from(g.values.subarray(8, 12)), [105.2, 41.5, 15.11, 229]);
  }
  const g = await readGct(fixture('gct', 'toy_v13.gct'));
  assert.equal(g.version, '1.3');
  assert.deepEqual(g.colIds, ['S1', 'S2', 'S3']);
  assert.deepEqual([...g.rowMeta.columns.keys()], ['symbol', 'chrom']);
  const age = g.colMeta.columns.get('age');
  assert.ok(age?.kind === 'number');
  assert.deepEqual(Array.from(age.values), [34, 51, 60]);
  assert.ok(Number.isNaN(g.values[1]));
  assert.equal(g.values[5], -0.2);
});

test('CSV table: quoted fields, typed columns, index column', () => {
  const t = readCsvTable(fixture('csv', 'atc2_obs.csv'));
  assert.equal(t.index.length, 173);
  assert.equal(t.index[0], 'ATC2_AACCACAGTCCATCTC-1');
  const ann = t.columns.get('annotation');
  assert.ok(ann?.kind === 'string');
  assert.equal(ann.values.filter((v) => v === 'Immune').length, 25);
  assert.throws(() => readCsvTable(fixture('csv', 'atc2_obs.csv'), { indexCol: 'cell' }), (e: ScmixError) => e.code === 'CONFIG_INVALID' && /"barcode"/.test(e.message));
});

test('joinObsCsv on barcodes: counts matched/unused, left order kept', async () => {
  const a = await readMex(fixture('mex', 'atc2_v3_40cells'));
  const r = joinObsCsv(a, fixture('csv', 'atc2_obs.csv'), { key: 'barcode' });
  assert.equal(r.matched, 40);
  assert.equal(r.unmatchedCells, 0);
  assert.equal(r.unusedRows, 133);
  const ann = r.adata.obs.columns.get('annotation');
  assert.ok(ann?.kind === 'string');
  assert.equal(ann.values.filter((v) => !v.startsWith('unannotated')).length, 16);
  // partial match: cells without a row get missing (categorical -1)
  const renamed = { ...a, obs: { ...a.obs, index: a.obs.index.map((b, i) => (i < 5 ? `x_${b}` : b)) } };
  const p = joinObsCsv(renamed, fixture('csv', 'atc2_obs.csv'));
  assert.equal(p.matched, 35);
  const pa = p.adata.obs.columns.get('annotation');
  assert.ok(pa?.kind === 'categorical' && pa.codes[0] === -1 && pa.codes[5] >= 0);
  assert.throws(() => joinObsCsv(renamed, fixture('csv', 'atc2_obs.csv'), { requireAll: true }), (e: ScmixError) => e.code === 'SHAPE_MISMATCH' && /5 of 40 cells/.test(e.message));
  const none = { ...a, obs: { ...a.obs, index: a.obs.index.map((b) => b.replace('ATC2_', '')) } };
  assert.throws(() => joinObsCsv(none, fixture('csv', 'atc2_obs.csv')), (e: ScmixError) => e.code === 'SHAPE_MISMATCH' && /atc2_obs\.csv/.test(e.message) && /none of the 173 keys/.test(e.message));
});
