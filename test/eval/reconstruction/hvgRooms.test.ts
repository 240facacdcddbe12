/**
 * The streaming HVG selection of eval (moments accumulated block by block) against the data
 * room's in-memory highlyVariableGenes on the same aligned log1p-CP10k matrix, and both against
 * the reference's hvg_seurat output (hvg_genes.txt of the committed fixture).
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { highlyVariableGenes, log1pInPlace, normalizeTotal } from '../../../src/data/index.js';
import { readH5ad } from '../../../src/io/index.js';
import { accumulateHvgMoments, alignCsr, alignGenes, createHvgMoments, logCp10k, selectHvgSeurat, sliceRows } from '../../../src/eval/reconstruction/index.js';

const FIX = join(import.meta.dirname, '..', '..', 'fixtures', 'eval', 'ldvae_ref');
const lines = (p: string) => readFileSync(p, 'utf8').split('\n').filter((l) => l.length > 0);

test('streamed HVGs = data room HVGs = reference HVGs (real data, 1000 of 9015 model genes)', async () => {
  const modelGenes = lines(join(FIX, 'model_genes.txt'));
  const ad = await readH5ad(join(FIX, 'eval.h5ad'));
  const al = alignGenes(ad.var.index, modelGenes);
  const aligned = alignCsr(ad.X, al);
  // data room: whole matrix in memory
  const dataHvg = highlyVariableGenes(log1pInPlace(normalizeTotal(aligned, { targetSum: 1e4 })), { nTop: 1000 });
  // eval room: 7-cell blocks
  const m = createHvgMoments(modelGenes.length);
  for (let s = 0; s < aligned.nRows; s += 7) {
    const lg = logCp10k(sliceRows(aligned, s, Math.min(aligned.nRows, s + 7)));
    accumulateHvgMoments(m, lg.nRows, lg.indices, lg.data, lg.data.length);
  }
  const ours = selectHvgSeurat(m, 1000);
  const ref = lines(join(FIX, 'hvg_genes.txt'));
  assert.deepEqual(Array.from(ours.columns, (c) => modelGenes[c]), ref);
  assert.deepEqual(Array.from(dataHvg.indices, (c) => modelGenes[c]), ref);
  for (let g = 0; g < modelGenes.length; g++) {
    const a = ours.dispersionsNorm[g]!;
    const b = dataHvg.dispersionsNorm[g]!;
    assert.ok((Number.isNaN(a) && Number.isNaN(b)) || Math.abs(a - b) <= 1e-9 * Math.max(1, Math.abs(b)), `gene ${g}: ${a} vs ${b}`);
  }
});
