import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import type { AnnData } from '../../../src/io/index.js';
import { evalSourceFromAnnData, evaluateReconstruction, pearson, runReconstructionEval, readPerCell } from '../../../src/eval/reconstruction/index.js';
import { ScmixError } from '../../../src/errors.js';
import { csrFromDense, fakeModel } from './fakeModel.js';

function adata(rows: number[][], genes: string[], cellTypes?: string[]): AnnData {
  const cols = new Map();
  if (cellTypes) {
    const cats = [...new Set(cellTypes)];
    cols.set('cell_type', { kind: 'categorical', codes: Int32Array.from(cellTypes.map((c) => cats.indexOf(c))), categories: cats, ordered: false });
  }
  return {
    X: csrFromDense(rows),
    obs: { index: rows.map((_, i) => `cell${i}`), columns: cols },
    var: { index: genes, columns: new Map() },
    layers: new Map(),
    obsm: new Map(),
    varm: new Map(),
    uns: {},
  };
}

test('zero-padding, CP10k over model genes only, and r per cell by hand', async () => {
  // eval genes A, B, D, X (X unknown to the model); model genes B, A, C, D (C missing in eval -> zero column)
  const rows = [
    [1, 3, 6, 100],
    [4, 1, 5, 0],
    [2, 2, 1, 7],
    [0, 5, 5, 1],
  ];
  const profile = [0.4, 0.3, 0.2, 0.1];
  const model = fakeModel(['B', 'A', 'C', 'D'], profile, 0.5);
  const src = evalSourceFromAnnData(adata(rows, ['A', 'B', 'D', 'X'], ['T', 'T', 'B', 'B']), 'toy');
  const res = await evaluateReconstruction(model, src, { nTopGenes: 1000, sample: false, blockRows: 3 });
  // C is all-zero (NaN dispersion): only B, A, D vary -> 3 HVGs, and a warning that < 1000 vary
  assert.deepEqual(res.hvgGenes, ['B', 'A', 'D']);
  assert.ok(res.summary.warnings.some((w) => w.includes('only 3 genes vary')));
  for (let i = 0; i < rows.length; i++) {
    const [a, b, d] = rows[i]!;
    const tot = a! + b! + d!; // X is not a model gene: it does not count in the total
    const obs = [b!, a!, d!].map((v) => Math.log1p((v / tot) * 1e4));
    const rec = [0, 1, 3].map((g) => Math.log1p((0.5 * ([b!, a!, 0, d!][g]! / tot) + 0.5 * profile[g]!) * 1e4));
    const want = pearson(obs, rec);
    assert.ok(Math.abs(res.perCell.r[i]! - want) < 1e-6, `cell ${i}: ${res.perCell.r[i]} vs ${want}`);
    assert.ok(Math.abs(res.perCell.r2[i]! - want * want) < 1e-6);
  }
  assert.equal(res.summary.nGenesPresent, 3);
  assert.deepEqual(Object.keys(res.summary.perCellType), ['B', 'T']);
  assert.equal(res.summary.perCellType.T!.n, 2);
});

test('block size does not change results; the model sees one block at a time', async () => {
  const rows = Array.from({ length: 37 }, (_, i) => Array.from({ length: 12 }, (_, j) => ((i * 7 + j * 13) % 11) * ((i + j) % 3)));
  const genes = Array.from({ length: 12 }, (_, j) => `g${j}`);
  const profile = genes.map((_, j) => (j + 1) / 78);
  const src = evalSourceFromAnnData(adata(rows, genes), 'toy');
  const m1 = fakeModel(genes, profile);
  const a = await evaluateReconstruction(m1, src, { nTopGenes: 8, sample: false, blockRows: 5 });
  const b = await evaluateReconstruction(fakeModel(genes, profile), src, { nTopGenes: 8, sample: false, blockRows: 1000 });
  assert.equal(m1.calls, 8);
  assert.deepEqual([...a.perCell.r], [...b.perCell.r]);
  assert.deepEqual(a.hvgGenes, b.hvgGenes);
  assert.ok(a.hvgGenes.length >= 8);
  assert.deepEqual([...a.residuals!.residualMean], [...b.residuals!.residualMean]);
  assert.equal(a.latent!.k, 2);
});

test('per-gene residuals by hand (CP10k scale)', async () => {
  const rows = [
    [1, 1],
    [3, 1],
  ];
  const model = fakeModel(['A', 'B'], [0.5, 0.5], 0); // reconstruction = 5000, 5000 for every cell
  const res = await evaluateReconstruction(model, evalSourceFromAnnData(adata(rows, ['A', 'B']), 'toy'), { nTopGenes: 2, sample: false });
  const g = res.residuals!;
  // observed CP10k: A = 5000, 7500; B = 5000, 2500
  assert.ok(Math.abs(g.meanObserved[0]! - 6250) < 1e-2);
  assert.ok(Math.abs(g.residualMean[0]! - 1250) < 1e-2);
  assert.ok(Math.abs(g.residualVar[0]! - 1250 * 1250) < 1);
  assert.ok(Math.abs(g.proportionalResidualMean[0]! - 0.2) < 1e-6);
  assert.ok(Math.abs(g.proportionalResidualMean[1]! - -1250 / 3750) < 1e-6);
  assert.equal(g.explainedVariance[0], 0); // constant reconstruction explains nothing
});

test('constant cells give NaN r and are counted; missing cell_type -> unknown', async () => {
  const rows = [
    [5, 5, 5],
    [1, 2, 9],
    [3, 1, 0],
  ];
  const model = fakeModel(['A', 'B', 'C'], [0.2, 0.3, 0.5], 0.5);
  const res = await evaluateReconstruction(model, evalSourceFromAnnData(adata(rows, ['A', 'B', 'C']), 'toy'), { nTopGenes: 3, sample: false });
  assert.ok(Number.isNaN(res.perCell.r[0]!));
  assert.equal(res.summary.r2.nNan, 1);
  assert.deepEqual([...new Set(res.perCell.cellTypes)], ['unknown']);
  assert.ok(res.summary.warnings.some((w) => w.includes("no obs 'cell_type'")));
});

test('no overlapping genes -> GENES_MISMATCH before any work', async () => {
  const model = fakeModel(['ENSG1', 'ENSG2'], [0.5, 0.5]);
  await assert.rejects(
    evaluateReconstruction(model, evalSourceFromAnnData(adata([[1, 2]], ['CD3E', 'MS4A1']), 'toy', { path: '/data/x.h5ad' })),
    (e: unknown) => e instanceof ScmixError && e.code === 'GENES_MISMATCH' && e.message.includes('/data/x.h5ad'),
  );
  assert.equal(model.calls, 0);
});

test('runReconstructionEval writes percell.csv and summary.json per the contract', async () => {
  const rows = Array.from({ length: 30 }, (_, i) => Array.from({ length: 10 }, (_, j) => ((i * 5 + j * 3) % 7) + (j === i % 10 ? 20 : 0)));
  const genes = Array.from({ length: 10 }, (_, j) => `g${j}`);
  const cts = rows.map((_, i) => (i % 3 === 0 ? 'T' : 'B'));
  const out = mkdtempSync(join(tmpdir(), 'scmix-eval-'));
  const s = await runReconstructionEval({
    model: fakeModel(genes, genes.map(() => 0.1)),
    evalSet: evalSourceFromAnnData(adata(rows, genes, cts), 'toy'),
    outDir: out,
    meta: { model: 'ldvae', corpus: 'blood', seed: 0, evalSet: 'toy' },
    options: { nTopGenes: 5, sample: false },
    knnK: 3,
  });
  for (const k of ['model', 'corpus', 'seed', 'evalSet', 'nCells', 'nHvg', 'median_r2', 'mean_r2', 'q25_r2', 'q75_r2', 'median_r', 'nNan', 'perCellType']) assert.ok(k in s, k);
  const disk = JSON.parse(readFileSync(join(out, 'summary.json'), 'utf8'));
  assert.deepEqual(disk.perCellType, s.perCellType);
  const pc = readPerCell(join(out, 'percell.csv'));
  assert.equal(pc.cells.length, 30);
  const sorted = [...pc.r2].sort((a, b) => a - b);
  assert.ok(Math.abs(disk.median_r2 - (sorted[14]! + sorted[15]!) / 2) < 1e-15);
  assert.ok(disk.knn.accuracy >= 0 && disk.knn.accuracy <= 1);
  for (const f of ['genes.csv', 'hvg_genes.txt', 'latent_sample.json', 'example_cell.json', 'factors.json']) assert.ok(existsSync(join(out, f)), f);
  assert.equal(disk.provenance.scmixVersion.length > 0, true);
});
