import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadGeneformerDictionaries, openTokenDataset, tokenizeH5ad } from '../../../../src/models/geneformer/tokenizer/index.js';
import { V1_DIR } from './helpers.js';
import { SHARED_ROOT as sharedRoot } from '../../../support/paths.js';

// Expected values come from a NumPy implementation of the same encoding
// (test/fixtures/tokenizer/make_fixtures.py, run with /usr/bin/python3 + anndata).
const FIX = 'test/fixtures/tokenizer';
const exp = JSON.parse(readFileSync(join(FIX, 'kang_v1_tokens.json'), 'utf8')) as {
  file: string;
  nCells: number;
  inVocabulary: number;
  kept: number;
  dropped: number;
  nTokens: number;
  sha256_ids_int32le: string;
  sha256_ids_input64: string;
  lengths: number[];
  first: { cell: string; cell_type: string; input_ids: number[] }[];
  qc300_200: { removedByMinGenes: number; removedByMinCells: number; kept: number; inVocabulary: number; sha256: string };
};
exp.file = exp.file.replace(/^.*?\/shared\//, sharedRoot + '/');
const skip = existsSync(exp.file) ? false : `dataset ${exp.file} not present`;

function idsSha(dir: string): { sha: string; n: number } {
  const ds = openTokenDataset(dir);
  const h = createHash('sha256');
  for (let i = 0; i < ds.nCells; i++) h.update(new Uint8Array(ds.cell(i).buffer));
  const n = ds.nTokens;
  ds.close();
  return { sha: h.digest('hex'), n };
}

test('Kang 1556 cells (muscat), V1 dictionaries: token ids identical to NumPy for every cell', { skip }, async () => {
  const dir = mkdtempSync(join(tmpdir(), 'scmix-kang-'));
  try {
    const v1 = loadGeneformerDictionaries(V1_DIR);
    const out = join(dir, 'tok');
    // a block size that does not divide the cell count exercises block boundaries
    const rep = await tokenizeH5ad(exp.file, out, { dictionaries: v1, config: { obsColumns: ['cell_type'], blockRows: 500 } });
    assert.equal(rep.nCellsIn, exp.nCells);
    assert.equal(rep.genes.geneColumn, 'gene_ids');
    assert.equal(rep.genes.inVocabulary, exp.inVocabulary);
    assert.equal(rep.kept, exp.kept);
    assert.equal(rep.dropped, exp.dropped);
    const ds = openTokenDataset(out);
    assert.deepEqual([...ds.lengths], exp.lengths);
    exp.first.forEach((c, i) => {
      assert.equal(ds.obs.index[i], c.cell);
      assert.equal(ds.obs.columns.cell_type[i], c.cell_type);
      assert.deepEqual([...ds.cell(i)], c.input_ids, `cell ${i} (${c.cell})`);
    });
    const m = ds.manifest as { input: { sha256: string } };
    assert.equal(m.input.sha256, createHash('sha256').update(readFileSync(exp.file)).digest('hex'));
    ds.close();
    const all = idsSha(out);
    assert.equal(all.n, exp.nTokens);
    assert.equal(all.sha, exp.sha256_ids_int32le);
    // truncated to 64 tokens per cell
    await tokenizeH5ad(exp.file, join(dir, 't64'), { dictionaries: v1, config: { inputSize: 64 } });
    assert.equal(idsSha(join(dir, 't64')).sha, exp.sha256_ids_input64);
    // sc_foundation_evals-style QC (min_genes, then min_cells over the kept cells), thresholds that bite
    const q = await tokenizeH5ad(exp.file, join(dir, 'qc'), { dictionaries: v1, config: { minGenes: 300, minCells: 200, blockRows: 333 } });
    assert.equal(q.removedByMinGenes, exp.qc300_200.removedByMinGenes);
    assert.equal(q.genes.removedByMinCells, exp.qc300_200.removedByMinCells);
    assert.equal(q.genes.inVocabulary, exp.qc300_200.inVocabulary);
    assert.equal(q.kept, exp.qc300_200.kept);
    assert.equal(idsSha(join(dir, 'qc')).sha, exp.qc300_200.sha256);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('Kang: dictionaries computed from the file equal NumPy exact non-zero CP10k medians', { skip }, async () => {
  const med = JSON.parse(readFileSync(join(FIX, 'kang_medians.json'), 'utf8')) as { nGenesDetected: number; medians: Record<string, number> };
  const dir = mkdtempSync(join(tmpdir(), 'scmix-kang-'));
  try {
    await tokenizeH5ad(exp.file, join(dir, 'tok'), { dictionaries: 'compute', config: { geneColumn: 'gene_ids' } });
    const d = loadGeneformerDictionaries(join(dir, 'tok', 'dictionaries'));
    assert.equal(d.medians.size, med.nGenesDetected);
    let maxRel = 0;
    for (const [g, v] of Object.entries(med.medians)) maxRel = Math.max(maxRel, Math.abs(d.medians.get(g)! - v) / v);
    assert.ok(maxRel < 1e-12, `max relative difference ${maxRel}`);
    const sorted = Object.keys(med.medians).sort();
    sorted.forEach((g, i) => assert.equal(d.tokens.get(g), i + 2));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
