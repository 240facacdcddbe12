/**
 * Geneformer inside `scmix run`: a tiny study (one LDVAE, one tiny Geneformer; 2 corpora x 2 eval
 * sets) on the simulated atlas runs end to end with the real stages: checkpoints in HF layout with
 * the dictionaries used, summaries with finite metrics in range (checked against the CSVs the eval
 * stage wrote), LDVAE latents with the same embedding metrics, a second run all cache hits, and
 * the report's Geneformer section with its heatmap.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ScmixError } from '../../src/errors.js';
import { defaultStages, modelConfigPath, runStudy } from '../../src/study/index.js';
import { loadGeneformerDictionaries } from '../../src/models/geneformer/index.js';
import { atlasDir, killingAt, memorySources, studyIn } from './support.js';

const YAML = `name: gfmini
seeds: [0]
sources:
  blood: { path: atlas/blood.h5ad, genes: { ids: index, symbols: feature_name }, filters: [{ column: disease, equals: normal }] }
  bone_marrow: { path: atlas/bone_marrow.h5ad, genes: { ids: index, symbols: feature_name } }
  brain: { path: atlas/brain.h5ad, genes: { ids: index, symbols: Gene } }
components:
  b1: { source: blood, size: 150 }
  bm: { source: bone_marrow, size: 100 }
corpora:
  Blood: [b1]
  Blood+BM: [b1, bm]
models:
  ldvae: { kind: ldvae, set: { epochs: 3, nHidden: 32, nLatent: 4 } }
  gf: { kind: geneformer, config: tiny, set: { maxSteps: 6, batchSize: 8, hiddenSize: 16, intermediateSize: 32, maxPositionEmbeddings: 64, eval: { batchSize: 32 } } }
evaluations:
  BoneMarrow: { source: bone_marrow, size: 90, metrics: [reconstruction, rank-prediction, embedding], rankCells: 30 }
  Neurons: { source: brain, size: 60, metrics: [reconstruction, rank-prediction, embedding], rankCells: 30 }
outputs: { report: true }
`;

const inUnit = (v: unknown) => typeof v === 'number' && Number.isFinite(v) && v >= -1e-9 && v <= 1 + 1e-9;

test('geneformer and LDVAE in one study: train, eval, cache, report', async () => {
  const dir = atlasDir();
  const study = studyIn(dir, YAML);
  const run = join(dir, 'run');
  const r1 = await runStudy(study, { outDir: run, impls: defaultStages(study), openSource: memorySources() });
  // 2 builds + 2 eval sets + 2 models x 2 corpora x (train + eval) + report
  assert.equal(r1.ran.length, 2 + 2 + 8 + 1);

  // checkpoint: HF layout + the dictionaries computed from that corpus
  for (const corpus of ['Blood', 'Blood+BM']) {
    const m = join(run, 'models', 'gf', corpus, 'seed0');
    for (const f of ['config.json', 'model.safetensors', 'scmix_model.json', 'dictionaries/token_dictionary.json', 'dictionaries/gene_median_dictionary.json']) assert.ok(existsSync(join(m, f)), `${corpus}: ${f}`);
    assert.ok(!existsSync(join(m, 'tokens')), 'scratch tokens removed');
    const hf = JSON.parse(readFileSync(join(m, 'config.json'), 'utf8'));
    const d = loadGeneformerDictionaries(join(m, 'dictionaries'));
    assert.equal(hf.vocab_size, d.vocabSize);
    assert.equal(hf.hidden_size, 16);
    assert.equal(hf.max_position_embeddings, 64);
    const meta = JSON.parse(readFileSync(join(m, 'scmix_model.json'), 'utf8'));
    assert.equal(meta.steps, 6);
    assert.equal(meta.tokenize.inputSize, 64);
  }

  for (const corpus of ['Blood', 'Blood+BM'])
    for (const ev of ['BoneMarrow', 'Neurons']) {
      const e = join(run, 'evals', 'gf', corpus, 'seed0', ev);
      const s = JSON.parse(readFileSync(join(e, 'summary.json'), 'utf8'));
      assert.equal(s.modelKind, 'geneformer');
      assert.deepEqual([s.model, s.corpus, s.seed, s.evalSet], ['gf', corpus, 0, ev]);
      assert.equal(s.nCells, ev === 'BoneMarrow' ? 90 : 60);
      const rp = s.rankPrediction;
      assert.equal(rp.nSampled, 30);
      for (const k of ['median_correlation', 'mean_correlation', 'median_mean_rank_correlation', 'mean_mean_rank_correlation']) {
        assert.ok(typeof rp[k] === 'number' && rp[k] >= -1 && rp[k] <= 1, `${k} ${rp[k]}`);
      }
      // recompute the median and mean from the per-cell CSV the stage wrote
      const rows = readFileSync(join(e, 'rank_prediction_percell.csv'), 'utf8').trim().split('\n').slice(1);
      assert.equal(rows.length, 30);
      const corr = rows.map((l) => l.split(',')[2]).filter((v) => v !== '').map(Number).sort((a, b) => a - b);
      const n = corr.length;
      const median = n % 2 ? corr[(n - 1) / 2] : (corr[n / 2 - 1] + corr[n / 2]) / 2;
      assert.ok(Math.abs(median - rp.median_correlation) < 1e-6, `median ${median} vs ${rp.median_correlation}`);
      assert.ok(Math.abs(corr.reduce((a, b) => a + b, 0) / n - rp.mean_correlation) < 1e-6);
      for (const f of ['rank_prediction_summary.csv', 'rankings.csv.gz', 'input_and_outputs_kde.svg']) assert.ok(existsSync(join(e, f)), f);
      const l = JSON.parse(readFileSync(join(run, 'evals', 'ldvae', corpus, 'seed0', ev, 'summary.json'), 'utf8'));
      assert.ok(typeof l.median_r2 === 'number');
      if (ev === 'Neurons') {
        // the simulated brain set has one cell type: no clustering metrics, a warning instead
        assert.equal(s.embedding, null);
        assert.match(s.warnings.join(' '), /embedding metrics skipped: .*1 labels/);
        assert.equal(l.embedding, null);
        assert.match(l.warnings.join(' '), /embedding metrics skipped/);
        continue;
      }
      const em = s.embedding;
      assert.ok(em, `${corpus}/${ev}: embedding metrics (${JSON.stringify(s.warnings)})`);
      for (const k of ['nmi', 'ari', 'asw_label', 'graph_connectivity', 'avg_bio']) assert.ok(k === 'ari' ? em[k] >= -0.5 && em[k] <= 1 : inUnit(em[k]), `${k} ${em[k]}`);
      assert.ok(Math.abs(em.avg_bio - (em.nmi + em.ari + em.asw_label) / 3) < 1e-9);
      const csv = readFileSync(join(e, 'embedding_metrics.csv'), 'utf8');
      const nmiRow = csv.split('\n').find((l) => l.startsWith('NMI_cluster/label,'))!;
      assert.ok(Math.abs(Number(nmiRow.split(',')[2]) - em.nmi) < 1e-12);
      assert.equal(em.nCells, s.nTokenized);

      // LDVAE: reconstruction as before, plus embedding metrics of its latent
      assert.ok(l.embedding && inUnit(l.embedding.nmi) && inUnit(l.embedding.asw_label), JSON.stringify(l.embedding));
      assert.equal(l.embedding.nCells, s.nCells);
    }

  // second run: every stage is a cache hit
  const r2 = await runStudy(study, { outDir: run, impls: defaultStages(study), openSource: memorySources() });
  assert.equal(r2.ran.length, 0);
  assert.equal(r2.cached.length, r1.ran.length);

  // report: Geneformer section with its heatmap and the two-family embedding table
  const html = readFileSync(join(run, 'report', 'report.html'), 'utf8');
  assert.match(html, /id="s-geneformer"/);
  assert.match(html, /<figure id="heatmap_rank_gf_seed0">/);
  assert.ok(existsSync(join(run, 'report', 'figures', 'heatmap_rank_gf_seed0.svg')));
  const table = readFileSync(join(run, 'report', 'tables', 'embedding_metrics.csv'), 'utf8').trim().split('\n');
  assert.equal(table.length, 1 + 2 * 2); // (ldvae, gf) x 2 corpora x BoneMarrow
  assert.ok(table.some((l) => l.startsWith('ldvae,')) && table.some((l) => l.startsWith('gf,')));
  const s0 = JSON.parse(readFileSync(join(run, 'evals', 'gf', 'Blood', 'seed0', 'Neurons', 'summary.json'), 'utf8'));
  assert.ok(html.includes(s0.rankPrediction.median_correlation.toFixed(2)));
  // deterministic: writing the report again gives the same bytes
  const { writeReport } = await import('../../src/report/index.js');
  await writeReport(run);
  assert.equal(readFileSync(join(run, 'report', 'report.html'), 'utf8'), html);
  if (process.env.SCMIX_TEST_KEEP) console.log(run);
  const prov = JSON.parse(readFileSync(join(run, 'report', 'tables', 'provenance.json'), 'utf8'));
  assert.ok(prov.entries.some((e: { model: string; modelSha256?: Record<string, string> }) => e.model === 'gf' && e.modelSha256?.['model.safetensors']?.length === 64));
});

const RESUME_YAML = `name: gfresume
sources:
  blood: { path: atlas/blood.h5ad, genes: { ids: index, symbols: feature_name } }
  bone_marrow: { path: atlas/bone_marrow.h5ad, genes: { ids: index, symbols: feature_name } }
components:
  b: { source: blood, size: 120 }
corpora:
  Blood: [b]
models:
  gf: { kind: geneformer, config: tiny, set: { maxSteps: 6, batchSize: 8, saveEvery: 2, hiddenSize: 16, intermediateSize: 32, maxPositionEmbeddings: 64 } }
evaluations:
  BoneMarrow: { source: bone_marrow, size: 40, metrics: [rank-prediction], rankCells: 10 }
outputs: { report: false }
`;

test('a killed geneformer training resumes from its checkpoint and matches an uninterrupted run', async () => {
  const dirA = atlasDir();
  const studyA = studyIn(dirA, RESUME_YAML);
  await runStudy(studyA, { outDir: join(dirA, 'run'), impls: defaultStages(studyA), openSource: memorySources() });
  const dirB = atlasDir();
  const studyB = studyIn(dirB, RESUME_YAML);
  await assert.rejects(runStudy(studyB, { outDir: join(dirB, 'run'), impls: killingAt(defaultStages(studyB), 'steps', 3), openSource: memorySources() }), /killed at steps 3/);
  const r = await runStudy(studyB, { outDir: join(dirB, 'run'), impls: defaultStages(studyB), openSource: memorySources() });
  assert.deepEqual(r.ran, ['train/gf/Blood/seed0', 'eval/gf/Blood/seed0']);
  const m = (d: string) => join(d, 'run', 'models', 'gf', 'Blood', 'seed0');
  assert.equal(JSON.parse(readFileSync(join(m(dirB), 'scmix_model.json'), 'utf8')).resumedFrom, 2);
  assert.ok(readFileSync(join(m(dirA), 'model.safetensors')).equals(readFileSync(join(m(dirB), 'model.safetensors'))), 'same weights');
  const sum = (d: string) => JSON.parse(readFileSync(join(d, 'run', 'evals', 'gf', 'Blood', 'seed0', 'BoneMarrow', 'summary.json'), 'utf8'));
  assert.deepEqual(sum(dirB).rankPrediction, sum(dirA).rankPrediction);
  assert.equal(sum(dirA).embedding, null);

  // a named dictionary folder (here: the one run A computed) is used as is and gives the same model
  const dirC = atlasDir();
  const studyC = studyIn(dirC, RESUME_YAML.replace('kind: geneformer,', `kind: geneformer, dictionaries: '${join(m(dirA), 'dictionaries')}',`));
  await runStudy(studyC, { outDir: join(dirC, 'run'), impls: defaultStages(studyC), openSource: memorySources() });
  const metaC = JSON.parse(readFileSync(join(m(dirC), 'scmix_model.json'), 'utf8'));
  assert.equal(metaC.dictionaries.source, join(m(dirA), 'dictionaries'));
  assert.equal(readFileSync(join(m(dirC), 'dictionaries', 'token_dictionary.json'), 'utf8'), readFileSync(join(m(dirA), 'dictionaries', 'token_dictionary.json'), 'utf8'));
  assert.ok(readFileSync(join(m(dirA), 'model.safetensors')).equals(readFileSync(join(m(dirC), 'model.safetensors'))));
});

test('geneformer model specs: unknown keys and misplaced dictionaries are config errors', async () => {
  const dir = atlasDir();
  // presets are not files: `scmix run` hashes no preset text for them (and does not fail looking)
  const ok = studyIn(dir, RESUME_YAML);
  assert.equal(modelConfigPath(ok, ok.config.models.gf), null);
  writeFileSync(join(dir, 'gf.json'), JSON.stringify({ train: { maxSteps: 3 } }));
  const withFile = studyIn(dir, RESUME_YAML.replace('config: tiny', 'config: gf.json'));
  assert.equal(modelConfigPath(withFile, withFile.config.models.gf), join(dir, 'gf.json'));
  assert.throws(() => studyIn(dir, RESUME_YAML.replace("kind: geneformer, config: tiny,", "kind: ldvae, dictionaries: atlas,")), /dictionaries apply to geneformer models only/);
  assert.throws(() => studyIn(dir, RESUME_YAML.replace("kind: geneformer, config: tiny,", "kind: geneformer, dictionaries: nowhere,")), /folder not found/);
  const bad = studyIn(dir, RESUME_YAML.replace('maxSteps: 6,', 'maxStep: 6,'));
  await assert.rejects(runStudy(bad, { outDir: join(dir, 'run'), impls: defaultStages(bad), openSource: memorySources() }), (e: unknown) => e instanceof ScmixError && e.code === 'CONFIG_INVALID' && /unknown geneformer key "maxStep"/.test(e.message));
});
