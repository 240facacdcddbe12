import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  annDataSource,
  buildDictionaries,
  loadGeneformerDictionaries,
  openTokenDataset,
  planGenes,
  rankEncode,
  resolveTokenizeConfig,
  tokenizeCells,
} from '../../../../src/models/geneformer/tokenizer/index.js';
import { ScmixError } from '../../../../src/errors.js';
import { csrFromDense, makeAnnData, stringCol, V1_DIR } from './helpers.js';

const ACTB = 'ENSG00000075624';
const GAPDH = 'ENSG00000111640';
const CD3E = 'ENSG00000198851';
const MALAT1 = 'ENSG00000251562';
const FOXP3 = 'ENSG00000049768';
const CD19 = 'ENSG00000177455';

const v1 = loadGeneformerDictionaries(V1_DIR);

test('V1 dictionaries: 25,426 tokens, <pad>=0, <mask>=1, 25,424 medians, genes in sorted order', () => {
  assert.equal(v1.vocabSize, 25426);
  assert.equal(v1.medians.size, 25424);
  assert.equal(v1.tokens.get('<pad>'), 0);
  assert.equal(v1.tokens.get('<mask>'), 1);
  const genes = [...v1.tokens.entries()].filter(([k]) => !k.startsWith('<')).sort((a, b) => a[1] - b[1]).map(([k]) => k);
  assert.deepEqual(genes, [...genes].sort());
  assert.equal(v1.nameToId?.get('ACTB'), ACTB);
});

test('spec §2.2 toy cell: ACTB=50 GAPDH=20 CD3E=3 MALAT1=100 FOXP3=1 CD19=0 -> [1319, 3906, 17276, 670]', () => {
  const genes = [ACTB, GAPDH, CD3E, MALAT1, FOXP3, CD19];
  const cfg = resolveTokenizeConfig({});
  const plan = planGenes(genes, v1, cfg, 'toy');
  // CD19 stored as an explicit zero: must not count as detected
  const enc = rankEncode(csrFromDense([[50, 20, 3, 100, 1, 0]], true), plan, { inputSize: 2048 });
  assert.deepEqual([...enc.ids], [1319, 3906, 17276, 670]);
  assert.deepEqual([...enc.lengths], [4]);
  // the scores of the spec: count / n_counts * 1e4 / median
  const v = [50, 20, 3, 1].map((c, i) => (c / 981) * 1e4 / v1.medians.get([ACTB, GAPDH, CD3E, FOXP3][i])!);
  assert.deepEqual(v.map((x) => x.toFixed(3)), ['12.171', '10.171', '4.099', '2.988']);
});

// A hand-made vocabulary: medians chosen so the order is easy to compute by hand.
const toyDicts = buildDictionaries(
  new Map<string, number>([['<pad>', 0], ['<mask>', 1], ['<cls>', 2], ['<eos>', 3], ['GA', 4], ['GB', 5], ['GC', 6], ['GD', 7]]),
  new Map([['GA', 1], ['GB', 2], ['GC', 4], ['GD', 0.5]]),
  undefined,
  { tokens: { file: 'toy', sha256: '' }, medians: { file: 'toy', sha256: '' } },
);

test('hand-computed order, ties by gene column, truncation, V2 <cls>/<eos>', () => {
  const genes = ['GC', 'GA', 'GB', 'GD', 'GX'];
  // cell 0: scores GC 8/4=2, GA 2/1=2, GB 4/2=2, GD 3/0.5=6, GX not in vocab -> GD, then tie GC,GA,GB by column
  // cell 1: GA 1, GB 5/2=2.5 -> GB, GA
  const x = csrFromDense([
    [8, 2, 4, 3, 99],
    [0, 1, 5, 0, 7],
  ]);
  const plan = planGenes(genes, toyDicts, resolveTokenizeConfig({}), 'toy');
  const e = rankEncode(x, plan, { inputSize: 2048 });
  assert.deepEqual([...e.ids], [7, 6, 4, 5, 5, 4]);
  assert.deepEqual([...e.lengths], [4, 2]);
  const t = rankEncode(x, plan, { inputSize: 2 });
  assert.deepEqual([...t.ids], [7, 6, 5, 4]);
  const v2 = rankEncode(x, plan, { inputSize: 4, cls: 2, eos: 3 });
  assert.deepEqual([...v2.ids], [2, 7, 6, 3, 2, 5, 4, 3]);
  assert.deepEqual([...v2.lengths], [4, 4]);
});

test('duplicate gene ids: V1 repeats the token, V2 (collapse) sums the counts', () => {
  const genes = ['GA', 'GB', 'GA'];
  // GA columns 3 and 2 (scores 3 and 2), GB 5/2 = 2.5. V1: GA(3), GB(2.5), GA(2). V2: GA 5 > GB 2.5
  const x = csrFromDense([[3, 5, 2]]);
  const p1 = planGenes(genes, toyDicts, resolveTokenizeConfig({ variant: 'v1' }), 'toy');
  assert.equal(p1.stats.duplicateColumns, 1);
  assert.deepEqual([...rankEncode(x, p1, { inputSize: 10 }).ids], [4, 5, 4]);
  const p2 = planGenes(genes, toyDicts, resolveTokenizeConfig({ variant: 'v2' }), 'toy');
  assert.deepEqual([...rankEncode(x, p2, { inputSize: 10, cls: 2, eos: 3 }).ids], [2, 4, 5, 3]);
  // collapsed tie: GA 1+1=2 -> 2/1 = 2, GB 4/2 = 2 -> tie broken by first column (GA first)
  assert.deepEqual([...rankEncode(csrFromDense([[1, 4, 1]]), p2, { inputSize: 10 }).ids], [4, 5]);
});

test('bad input: non-integer, negative and NaN counts; no gene in the vocabulary', () => {
  const plan = planGenes(['GA', 'GB'], toyDicts, resolveTokenizeConfig({}), 'toy');
  for (const bad of [1.5, -1, NaN]) {
    assert.throws(
      () => rankEncode(csrFromDense([[1, 1], [bad, 2]]), plan, { inputSize: 10, source: 'f.h5ad' }),
      (e: unknown) => e instanceof ScmixError && e.code === 'INPUT_VALUE' && /f\.h5ad: cell 1/.test(e.message),
    );
  }
  assert.throws(
    () => planGenes(['X1', 'X2'], toyDicts, resolveTokenizeConfig({}), 'g.h5ad'),
    (e: unknown) => e instanceof ScmixError && e.code === 'GENES_MISMATCH' && /g\.h5ad/.test(e.message),
  );
});

test('tokenizeCells: drops empty cells and reports them, keeps obs columns, round-trips the dataset', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'scmix-tok-'));
  try {
    const x = csrFromDense([
      [1, 0, 0, 9], // GA only (GX not in vocab)
      [0, 0, 0, 5], // nothing in vocabulary -> dropped
      [2, 2, 2, 0], // GA 2, GB 1, GC 0.5
      [0, 0, 0, 0], // empty -> dropped
      [0, 3, 0, 0],
    ]);
    const ad = makeAnnData(x, ['c0', 'c1', 'c2', 'c3', 'c4'], ['GA', 'GB', 'GC', 'GX'], {
      cell_type: { kind: 'categorical', codes: Int32Array.from([0, 1, 1, 0, -1]), categories: ['T', 'B'], ordered: false },
    });
    const out = join(dir, 'tok');
    const rep = await tokenizeCells(annDataSource(ad), out, { dictionaries: toyDicts, config: { obsColumns: ['cell_type'], blockRows: 2 } });
    assert.equal(rep.kept, 3);
    assert.equal(rep.dropped, 2);
    assert.deepEqual(rep.droppedFirst, ['c1', 'c3']);
    const ds = openTokenDataset(out);
    assert.equal(ds.nCells, 3);
    assert.equal(ds.nTokens, 5);
    assert.deepEqual(ds.obs.index, ['c0', 'c2', 'c4']);
    assert.deepEqual(ds.obs.sourceRows, [0, 2, 4]);
    assert.deepEqual(ds.obs.columns.cell_type, ['T', 'B', null]);
    assert.deepEqual([...ds.cell(0)], [4]);
    assert.deepEqual([...ds.cell(1)], [4, 5, 6]);
    assert.deepEqual([...ds.cell(2)], [5]);
    assert.deepEqual([...ds.lengths], [1, 3, 1]);
    const m = ds.manifest as { cells: { dropped: number; droppedFirst: string[] } };
    assert.equal(m.cells.dropped, 2);
    ds.close();
    // existing output is refused without overwrite
    await assert.rejects(tokenizeCells(annDataSource(ad), out, { dictionaries: toyDicts }), (e: unknown) => e instanceof ScmixError && e.code === 'CONFIG_INVALID');
    // unknown obs column named
    await assert.rejects(
      tokenizeCells(annDataSource(ad), join(dir, 'b'), { dictionaries: toyDicts, config: { obsColumns: ['nope'] } }),
      (e: unknown) => e instanceof ScmixError && e.code === 'CONFIG_INVALID' && /nope/.test(e.message),
    );
    // all cells empty -> NOT_ENOUGH_CELLS and no output folder left behind
    const empty = makeAnnData(csrFromDense([[0, 0, 0, 1]]), ['e0'], ['GA', 'GB', 'GC', 'GX']);
    await assert.rejects(tokenizeCells(annDataSource(empty), join(dir, 'c'), { dictionaries: toyDicts }), (e: unknown) => e instanceof ScmixError && e.code === 'NOT_ENOUGH_CELLS');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('filter_pass keeps only cells with value 1; symbol mode maps through gene_name_id_dict', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'scmix-tok-'));
  try {
    const x = csrFromDense([
      [50, 20, 3],
      [1, 0, 0],
    ]);
    const ad = makeAnnData(x, ['a', 'b'], [ACTB, GAPDH, CD3E], {
      filter_pass: { kind: 'number', values: Float64Array.from([0, 1]), dtype: 'int64' },
    });
    // symbols in the var index
    (ad.var as { index: string[] }).index.splice(0, 3, 'ACTB', 'GAPDH', 'CD3E');
    ad.var.columns.delete('ensembl_id');
    const rep = await tokenizeCells(annDataSource(ad), join(dir, 't'), { dictionaries: v1, config: { geneIdType: 'symbol' } });
    assert.equal(rep.filteredOut, 1);
    assert.equal(rep.kept, 1);
    assert.equal(rep.genes.inVocabulary, 3);
    const ds = openTokenDataset(join(dir, 't'));
    assert.deepEqual(ds.obs.index, ['b']);
    assert.deepEqual([...ds.cell(0)], [1319]);
    ds.close();
    void stringCol;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('collapsed ties break by the first column of each gene id, whatever the row touches first', () => {
  // genes GA, GB, GA: the row has GA only in column 2, so GB is touched first; GA 2/1 = 2, GB 4/2 = 2
  const p2 = planGenes(['GA', 'GB', 'GA'], toyDicts, resolveTokenizeConfig({ variant: 'v2' }), 'toy');
  assert.deepEqual([...rankEncode(csrFromDense([[0, 4, 2]]), p2, { inputSize: 10 }).ids], [4, 5]);
});

test('rank order on random cells equals a straightforward comparator sort (ties frequent)', () => {
  const plan = planGenes(['GA', 'GB', 'GC', 'GD'], toyDicts, resolveTokenizeConfig({}), 'toy');
  const inv = [1, 0.5, 0.25, 2];
  let seed = 12345;
  const rnd = () => ((seed = (seed * 1103515245 + 12345) % 2147483648) / 2147483648);
  for (let trial = 0; trial < 200; trial++) {
    const row = Array.from({ length: 4 }, () => Math.floor(rnd() * 5));
    const got = [...rankEncode(csrFromDense([row]), plan, { inputSize: 3 }).ids];
    const want = row
      .map((x, g) => ({ g, s: x * inv[g] }))
      .filter((e) => e.s > 0)
      .sort((a, b) => b.s - a.s || a.g - b.g)
      .slice(0, 3)
      .map((e) => e.g + 4);
    assert.deepEqual(got, want, `row ${row}`);
  }
});

test('tokenizeCells with computed V2 dictionaries: <cls> ... <eos>, dictionaries written next to the tokens', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'scmix-tok-'));
  try {
    // row sums 10 and 4: CP10k GA {1000, 7500} -> 4250, GB {9000}, GC {2500}
    const ad = makeAnnData(csrFromDense([[1, 9, 0], [3, 0, 1]]), ['a', 'b'], ['GA', 'GB', 'GC']);
    const out = join(dir, 't');
    await tokenizeCells(annDataSource(ad), out, { dictionaries: 'compute', config: { variant: 'v2' } });
    const d = loadGeneformerDictionaries(join(out, 'dictionaries'));
    assert.deepEqual(Object.fromEntries(d.medians), { GA: 4250, GB: 9000, GC: 2500 });
    assert.deepEqual(Object.fromEntries(d.tokens), { '<pad>': 0, '<mask>': 1, '<cls>': 2, '<eos>': 3, GA: 4, GB: 5, GC: 6 });
    const ds = openTokenDataset(out);
    assert.equal(ds.specialTokens, true);
    // a: GA 1/4250, GB 9/9000 -> GB first ; b: GA 3/4250 (7.1e-4) > GC 1/2500 (4e-4)
    assert.deepEqual([...ds.cell(0)], [2, 5, 4, 3]);
    assert.deepEqual([...ds.cell(1)], [2, 4, 6, 3]);
    ds.close();
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('long rows with many ties (merge passes): equal to a comparator sort, truncated', () => {
  const G = 150;
  const genes = Array.from({ length: G }, (_, g) => `G${g}`);
  const medians = [1, 2, 4];
  const d = buildDictionaries(
    new Map<string, number>([['<pad>', 0], ['<mask>', 1], ...genes.map((g, i) => [g, i + 2] as [string, number])]),
    new Map(genes.map((g, i) => [g, medians[i % 3]])),
    undefined,
    { tokens: { file: 'toy', sha256: '' }, medians: { file: 'toy', sha256: '' } },
  );
  const plan = planGenes(genes, d, resolveTokenizeConfig({}), 'toy');
  let seed = 99;
  const rnd = () => ((seed = (seed * 1103515245 + 12345) % 2147483648) / 2147483648);
  const rows = Array.from({ length: 30 }, () => Array.from({ length: G }, () => (rnd() < 0.3 ? 0 : Math.floor(rnd() * 6))));
  const enc = rankEncode(csrFromDense(rows), plan, { inputSize: 90 });
  rows.forEach((row, r) => {
    const want = row
      .map((x, g) => ({ g, s: x / medians[g % 3] }))
      .filter((e) => e.s > 0)
      .sort((a, b) => b.s - a.s || a.g - b.g)
      .slice(0, 90)
      .map((e) => e.g + 2);
    assert.deepEqual([...enc.ids.subarray(enc.offsets[r], enc.offsets[r + 1])], want, `row ${r}`);
  });
});

test('symbol mode refuses inputs where fewer than half of the symbols map (sc_foundation_evals fract_matching)', () => {
  const cfg = resolveTokenizeConfig({ geneIdType: 'symbol' });
  // 1 of 3 symbols known -> 0.33 < 0.5
  assert.throws(
    () => planGenes(['ACTB', 'NOTAGENE1', 'NOTAGENE2'], v1, cfg, 's.h5ad'),
    (e: unknown) => e instanceof ScmixError && e.code === 'GENES_MISMATCH' && /1 of 3 gene symbols/.test(e.message),
  );
  const ok = planGenes(['ACTB', 'GAPDH', 'NOTAGENE'], v1, cfg, 's.h5ad');
  assert.equal(ok.stats.unmappedSymbols, 1);
  assert.equal(ok.stats.inVocabulary, 2);
});

test('deterministic: the same input gives byte-identical token dataset files', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'scmix-tok-'));
  try {
    const ad = makeAnnData(csrFromDense([[3, 1, 0, 2], [0, 2, 2, 0], [1, 1, 1, 1]]), ['x', 'y', 'z'], ['GA', 'GB', 'GC', 'GD'], {
      cell_type: stringCol(['a', 'b', 'a']),
    });
    for (const name of ['one', 'two']) {
      await tokenizeCells(annDataSource(ad), join(dir, name), { dictionaries: toyDicts, config: { obsColumns: ['cell_type'], blockRows: 2 } });
    }
    for (const f of ['tokens.bin', 'obs.json', 'manifest.json']) {
      assert.deepEqual(readFileSync(join(dir, 'one', f)), readFileSync(join(dir, 'two', f)), f);
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
