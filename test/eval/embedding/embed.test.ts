import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Command } from 'commander';
import { register as registerEmbed } from '../../../src/cli/commands/embed.js';
import { embedTokenDataset, geneformerArgmaxPredictor, padCells, type EmbeddingModel, type PaddedBatch } from '../../../src/eval/embedding/index.js';
import { readH5ad } from '../../../src/io/index.js';
import { createGeneformer, GENEFORMER_PRESETS, loadGeneformerDictionaries, openTokenDataset, saveGeneformer, tokenizeH5ad } from '../../../src/models/geneformer/index.js';
import { SHARED_ROOT as sharedRoot } from '../../support/paths.js';

const KANG = sharedRoot + '/data/kang2018_pbmc_muscat/example_sce_1556cells.h5ad';

/** A fake model whose hidden state at (b, t) is [token id, t]: means can be computed by hand. */
function fakeModel(): EmbeddingModel {
  const hs = (batch: PaddedBatch) => {
    const out = new Float32Array(batch.B * batch.T * 2);
    for (let b = 0; b < batch.B; b++) for (let t = 0; t < batch.T; t++) out.set([batch.ids[b * batch.T + t], t], (b * batch.T + t) * 2);
    return out;
  };
  return {
    config: { hiddenSize: 2, vocabSize: 100, maxPositionEmbeddings: 16 },
    hiddenStates: (batch) => hs(batch),
    embed: (batch) => {
      const h = hs(batch);
      const out = new Float32Array(batch.B * 2);
      for (let b = 0; b < batch.B; b++) {
        for (let t = 0; t < batch.lengths[b]; t++) for (let j = 0; j < 2; j++) out[b * 2 + j] += h[(b * batch.T + t) * 2 + j] / batch.lengths[b];
      }
      return out;
    },
    predictArgmax: (batch) => batch.ids.map((x) => x + 1),
  };
}
const cellsOf = (cells: number[][], special = false) => ({
  nCells: cells.length,
  specialTokens: special,
  length: (i: number) => cells[i].length,
  cell: (i: number) => Int32Array.from(cells[i]),
});

test('embedTokenDataset by hand: length-sorted batches go back to dataset order; V2 leaves <cls>/<eos> out', () => {
  const cells = [[10, 20], [30, 40, 50, 60], [70]];
  const e = embedTokenDataset(fakeModel(), cellsOf(cells), { batchSize: 2 });
  assert.deepEqual([...e], [15, 0.5, 45, 1.5, 70, 0]);
  // V2: [cls, genes..., eos] -> mean over positions 1..L-2
  const v2 = embedTokenDataset(fakeModel(), cellsOf([[2, 10, 20, 3], [2, 30, 3]], true), { batchSize: 8 });
  assert.deepEqual([...v2], [15, 1.5, 30, 1]);
  const pred = geneformerArgmaxPredictor(fakeModel())([Int32Array.from([5, 6, 7]), Int32Array.from([9])]) as Int32Array[];
  assert.deepEqual(pred.map((p) => [...p]), [[6, 7, 8], [10]]);
  assert.throws(() => embedTokenDataset(fakeModel(), cellsOf([[1, 200]])), /outside the model's vocabulary/);
});

test('scmix embed end to end (tiny BERT, Kang tokens): obsm rows equal single-cell forwards; eval tables written', { skip: existsSync(KANG) ? false : 'dataset missing' }, async () => {
  const dir = mkdtempSync(join(tmpdir(), 'scmix-embed-'));
  try {
    const tok = join(dir, 'tok');
    const v1 = loadGeneformerDictionaries(sharedRoot + '/data/geneformer-v1');
    await tokenizeH5ad(KANG, tok, { dictionaries: v1, config: { inputSize: 48, obsColumns: ['cell_type', 'sample_id'] } });
    const model = createGeneformer({ ...GENEFORMER_PRESETS.tiny.model, vocabSize: v1.vocabSize, maxPositionEmbeddings: 64 }, 7);
    const mdir = join(dir, 'model');
    saveGeneformer(model, mdir);
    const program = new Command('scmix').exitOverride();
    registerEmbed(program);
    const out = join(dir, 'emb.h5ad');
    const evalDir = join(dir, 'eval');
    await program.parseAsync(['node', 'scmix', 'embed', '--model', mdir, '--tokens', tok, '--out', out, '--h5ad', KANG, '--batch-size', '32', '--eval-dir', evalDir, '--rank-cells', '12', '--label-key', 'cell_type', '--batch-key', 'sample_id', '--metrics-cells', '300', '--backend', 'auto']);
    const ad = await readH5ad(out, { layers: false });
    const emb = ad.obsm.get('X_geneformer')!;
    assert.deepEqual([...emb.shape], [1556, 32]);
    const ds = openTokenDataset(tok);
    for (const i of [0, 777, 1555]) {
      const single = model.embed(padCells([ds.cell(i)]), { layer: -2 });
      const row = emb.data.subarray(ds.obs.sourceRows[i] * 32, ds.obs.sourceRows[i] * 32 + 32);
      for (let j = 0; j < 32; j++) assert.ok(Math.abs(row[j] - single[j]) < 1e-5, `cell ${i} dim ${j}: ${row[j]} vs ${single[j]}`);
    }
    ds.close();
    // anndata 0.8 reads what we wrote (live, when /usr/bin/python3 has it)
    const py = spawnSync('/usr/bin/python3', ['-c', `import anndata, json; a = anndata.read_h5ad(${JSON.stringify(out)}); e = a.obsm['X_geneformer']; print(json.dumps([list(e.shape), float(e[0, 0]), list(a.obs.columns)]))`], { encoding: 'utf8' });
    if (py.status === 0) {
      const [shape, v00] = JSON.parse(py.stdout) as [number[], number];
      assert.deepEqual(shape, [1556, 32]);
      assert.ok(Math.abs(v00 - emb.data[0]) < 1e-6);
    } else if (!/No module named/.test(py.stderr)) assert.fail(`anndata could not read ${out}: ${py.stderr}`);
    assert.match(readFileSync(join(evalDir, 'input_and_outputs_kde.svg'), 'utf8'), /^<svg .*\(12 cells\)/);
    const summary = readFileSync(join(evalDir, 'rank_prediction_summary.csv'), 'utf8');
    assert.match(summary, /^,correlation,mean_correlation\ncount,\d+,\d+\n/);
    const m = JSON.parse(readFileSync(join(evalDir, 'embedding_metrics.json'), 'utf8'));
    assert.equal(m.nCells, 300);
    for (const k of ['nmi', 'ari', 'aswLabel', 'graphConnectivity', 'aswBatch', 'aswLabelBatch']) assert.ok(m[k] >= -1 && m[k] <= 1, `${k} = ${m[k]}`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
