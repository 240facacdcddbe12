import { test } from 'node:test';
import assert from 'node:assert/strict';
import { stripEnsemblVersion, buildSymbolMap, mapSymbolsToEnsembl, intersectGenes, alignToGenes, subsetRows, subsetCols, concatAnnData } from '../../src/data/index.js';
import { ScmixError } from '../../src/errors.js';
import { toy, denseOf, str, num, cat } from './toy.js';

test('stripEnsemblVersion: .N removed, _PAR_Y kept, non-Ensembl untouched', () => {
  assert.equal(stripEnsemblVersion('ENSG00000141510.17'), 'ENSG00000141510');
  assert.equal(stripEnsemblVersion('ENSG00000141510'), 'ENSG00000141510');
  assert.equal(stripEnsemblVersion('ENSMUSG00000000001.4'), 'ENSMUSG00000000001');
  assert.equal(stripEnsemblVersion('ENSG00000182378.14_PAR_Y'), 'ENSG00000182378_PAR_Y');
  assert.equal(stripEnsemblVersion('MT-CO1'), 'MT-CO1');
  assert.equal(stripEnsemblVersion('RP11-34P13.7'), 'RP11-34P13.7');
});

test('symbol table: the last duplicate wins (the study builds it with a Python loop)', () => {
  const m = buildSymbolMap(['A', 'B', 'A', 'C'], ['ENSG1', 'ENSG2', 'ENSG3', 'ENSG4']);
  assert.equal(m.get('A'), 'ENSG3');
  assert.equal(m.size, 3);
  assert.throws(() => buildSymbolMap(['A'], []), (e: ScmixError) => e.code === 'SHAPE_MISMATCH');
});

test('mapSymbolsToEnsembl: re-index, drop unmapped, first gene keeps a shared id', () => {
  const a = toy([[1, 2, 3, 4], [5, 6, 7, 8]], ['A', 'X', 'B', 'D']);
  const table = buildSymbolMap(['A', 'B', 'A', 'D'], ['ENSG1', 'ENSG2', 'ENSG3', 'ENSG3']);
  const r = mapSymbolsToEnsembl(a, table);
  // A -> ENSG3 (last wins), X unmapped, B -> ENSG2, D -> ENSG3 again (dropped: id taken by A)
  assert.deepEqual(r.adata.var.index, ['ENSG3', 'ENSG2']);
  assert.deepEqual(denseOf(r.adata.X), [[1, 3], [5, 7]]);
  assert.equal(r.nUnmapped, 1);
  assert.equal(r.nDuplicateIds, 1);
  const sym = r.adata.var.columns.get('gene_symbol');
  assert.ok(sym?.kind === 'string');
  assert.deepEqual(sym.values, ['A', 'B']);
  assert.throws(() => mapSymbolsToEnsembl(a, new Map([['Q', 'ENSG9']])), (e: ScmixError) => e.code === 'GENES_MISMATCH');
});

test('intersectGenes keeps the first list order, dropping repeats', () => {
  assert.deepEqual(intersectGenes([['g3', 'g1', 'g2', 'g1'], ['g1', 'g2', 'g3'], ['g2', 'g3', 'g9']]), ['g3', 'g2']);
  assert.deepEqual(intersectGenes([['a', 'b']]), ['a', 'b']);
});

test('alignToGenes: reorder to the model, zero-pad missing, drop extras, overlap fraction', () => {
  const q = toy([[1, 0, 3], [0, 5, 6]], ['g2', 'gX', 'g0'], undefined, [], [['gene_symbols', str(['B', 'X', 'Z'])]]);
  const r = alignToGenes(q, ['g0', 'g1', 'g2', 'g3']);
  assert.deepEqual(r.adata.var.index, ['g0', 'g1', 'g2', 'g3']);
  assert.deepEqual(denseOf(r.adata.X), [[3, 0, 1, 0], [6, 0, 0, 0]]);
  assert.equal(r.overlap, 0.5);
  assert.equal(r.nMissing, 2);
  assert.equal(r.nDropped, 1);
  const sym = r.adata.var.columns.get('gene_symbols');
  assert.ok(sym?.kind === 'categorical');
  assert.deepEqual(Array.from(sym.codes, (c) => (c < 0 ? null : sym.categories[c])), ['Z', null, 'B', null]);
  // indices sorted within rows after the reorder
  assert.deepEqual(Array.from(r.adata.X.indices), [0, 2, 0]);
  assert.throws(() => alignToGenes(q, ['h1', 'h2']), (e: ScmixError) => e.code === 'GENES_MISMATCH' && /"h1"/.test(e.message) && /"g2"/.test(e.message));
});

test('subsetRows / subsetCols keep X, obs and var in step', () => {
  const a = toy([[1, 2, 0], [0, 0, 3], [4, 0, 5]], ['a', 'b', 'c'], ['x', 'y', 'z'], [['n', num([10, 20, 30], 'int64')]]);
  const r = subsetRows(a, [2, 0]);
  assert.deepEqual(denseOf(r.X), [[4, 0, 5], [1, 2, 0]]);
  assert.deepEqual(r.obs.index, ['z', 'x']);
  const n = r.obs.columns.get('n');
  assert.ok(n?.kind === 'number');
  assert.deepEqual(Array.from(n.values), [30, 10]);
  const c = subsetCols(a, [2, 0]);
  assert.deepEqual(denseOf(c.X), [[0, 1], [3, 0], [5, 4]]);
  assert.deepEqual(c.var.index, ['c', 'a']);
  assert.throws(() => subsetRows(a, [3]), (e: ScmixError) => e.code === 'CONFIG_INVALID');
  assert.throws(() => subsetCols(a, [0, 0]), (e: ScmixError) => e.code === 'CONFIG_INVALID');
});

test('concatAnnData: inner join on genes, dataset label, obs union where types agree', () => {
  const a = toy([[1, 2, 3]], ['g1', 'g2', 'g3'], ['a0'], [['cell_type', str(['T'])], ['score', num([0.5])], ['flag', str(['x'])]]);
  const b = toy([[4, 5, 6], [7, 8, 9]], ['g3', 'g4', 'g1'], ['b0', 'b1'], [['cell_type', cat(['B', 'NK'])], ['flag', num([1, 2])], ['batch', str(['p', 'q'])]]);
  const { adata: c, droppedObsColumns } = concatAnnData([a, b], { keys: ['A', 'B'] });
  assert.deepEqual(c.var.index, ['g1', 'g3']);
  assert.deepEqual(denseOf(c.X), [[1, 3], [6, 4], [9, 7]]);
  assert.deepEqual(c.obs.index, ['a0', 'b0', 'b1']);
  const ds = c.obs.columns.get('dataset');
  assert.ok(ds?.kind === 'categorical');
  assert.deepEqual(ds.categories, ['A', 'B']);
  assert.deepEqual(Array.from(ds.codes), [0, 1, 1]);
  const ct = c.obs.columns.get('cell_type');
  assert.ok(ct?.kind === 'categorical');
  assert.deepEqual(Array.from(ct.codes, (k) => ct.categories[k]), ['T', 'B', 'NK']);
  const score = c.obs.columns.get('score');
  assert.ok(score?.kind === 'number' && Number.isNaN(score.values[1]) && score.values[0] === 0.5);
  const batch = c.obs.columns.get('batch');
  assert.ok(batch?.kind === 'categorical' && batch.codes[0] === -1);
  assert.deepEqual(droppedObsColumns, ['flag']);
  const outer = concatAnnData([a, b], { join: 'outer', label: 'src', indexUnique: '-' }).adata;
  assert.deepEqual(outer.var.index, ['g1', 'g2', 'g3', 'g4']);
  assert.deepEqual(denseOf(outer.X), [[1, 2, 3, 0], [6, 0, 4, 5], [9, 0, 7, 8]]);
  assert.deepEqual(outer.obs.index, ['a0-0', 'b0-1', 'b1-1']);
  assert.ok(outer.obs.columns.has('src'));
  assert.throws(() => concatAnnData([a, toy([[1]], ['zz'])]), (e: ScmixError) => e.code === 'GENES_MISMATCH');
});
