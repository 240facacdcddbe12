/**
 * The pipeline end to end (build -> train LDVAE -> reconstruction eval) on the simulated atlas at
 * a small scale, checking that it recovers the designed composition effects against the
 * same-size control (Blood+Blood): adding bone marrow helps the bone-marrow set, adding the TF
 * atlas helps the out-of-distribution neurons. Corpora have equal sizes, so equal training steps.
 * Effects are compared on the mean over three seeds, as the study does: at this scale one seed's
 * median r2 moves by up to 0.14 with the seed (and by a few hundredths with the last bits of the
 * kernels' arithmetic), more than the margins checked.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { defaultStages, runStudy } from '../../src/study/index.js';
import { simulateAtlas } from '../../src/simulate/index.js';
import { atlasDir, memorySources, studyIn } from './support.js';

// Its own atlas: 400 nuclear genes (about 14 per program), enough cells for 500-cell components.
const atlas = simulateAtlas({ seed: 1, scale: 0.6, nGenes: 400 });

const YAML = `name: effects
seeds: [0, 1, 2]
sources:
  blood: { path: atlas/blood.h5ad, genes: { ids: index, symbols: feature_name }, filters: [{ column: disease, equals: normal }] }
  bone_marrow: { path: atlas/bone_marrow.h5ad, genes: { ids: index, symbols: feature_name } }
  tf_atlas:
    path: atlas/tf_atlas.h5ad
    genes: { symbols: index, mapSymbolsFrom: blood }
    qc: { totalCountsColumn: n_counts, mitoFractionColumn: percent_mito }
  bone_marrow_val: { path: atlas/bone_marrow_val.h5ad, genes: { ids: index, symbols: feature_name } }
  brain: { path: atlas/brain.h5ad, genes: { ids: index, symbols: Gene } }
components:
  b1: { source: blood, size: 500, split: { parts: 2, part: 0 } }
  b2: { source: blood, size: 500, split: { parts: 2, part: 1 } }
  bm: { source: bone_marrow, size: 500 }
  tf: { source: tf_atlas, size: 500 }
corpora:
  Blood+Blood: [b1, b2]
  Blood+BoneMarrow: [b1, bm]
  Blood+TFAtlas: [b1, tf]
models:
  ldvae: { kind: ldvae, set: { epochs: 60, nEpochsKlWarmup: 96 } }
evaluations:
  BoneMarrow: { source: bone_marrow_val, size: 250 }
  Neurons: { source: brain, size: 250 }
outputs: { report: false }
`;

/**
 * Runs `yaml` on the atlas in a fresh folder; returns the LDVAE median r2 of every corpus on every
 * evaluation set, averaged over `seeds`, the table as JSON (assertion message) and the stage count.
 */
async function medianR2<C extends string, E extends string>(yaml: string, corpora: C[], evals: E[], seeds: number[]) {
  const dir = atlasDir(atlas);
  const study = studyIn(dir, yaml);
  const res = await runStudy(study, { outDir: join(dir, 'run'), impls: defaultStages(study), openSource: memorySources(atlas) });
  const r2 = (corpus: string, ev: string) =>
    seeds.reduce((s, seed) => s + JSON.parse(readFileSync(join(dir, 'run', 'evals', 'ldvae', corpus, `seed${seed}`, ev, 'summary.json'), 'utf8')).median_r2 / seeds.length, 0);
  const table = Object.fromEntries(corpora.map((c) => [c, Object.fromEntries(evals.map((ev) => [ev, r2(c, ev)])) as Record<E, number>])) as Record<C, Record<E, number>>;
  const msg = JSON.stringify(table);
  if (process.env.SCMIX_TEST_VERBOSE) console.log(msg);
  return { table, msg, stages: res.ran.length };
}

test('adding bone marrow helps bone marrow; adding the TF atlas helps neurons (vs Blood+Blood)', async () => {
  const { table, msg, stages } = await medianR2(YAML, ['Blood+Blood', 'Blood+BoneMarrow', 'Blood+TFAtlas'], ['BoneMarrow', 'Neurons'], [0, 1, 2]);
  assert.equal(stages, 2 + 3 * 3 * 3);
  assert.ok(table['Blood+BoneMarrow'].BoneMarrow > table['Blood+Blood'].BoneMarrow + 0.02, msg);
  assert.ok(table['Blood+TFAtlas'].Neurons > table['Blood+Blood'].Neurons + 0.02, msg);
  // The out-of-distribution gain is specific to the TF atlas (shared NEURO program). No such
  // check for bone marrow: the TF atlas's hematopoietic-like cells share its progenitor programs.
  assert.ok(table['Blood+TFAtlas'].Neurons > table['Blood+BoneMarrow'].Neurons + 0.02, msg);
});

const CANCER_YAML = `name: cancer
seeds: [0]
sources:
  blood: { path: atlas/blood.h5ad, genes: { ids: index, symbols: feature_name }, filters: [{ column: disease, equals: normal }] }
  cca:
    path: atlas/cca_hematologic.h5ad
    genes: { symbols: index, mapSymbolsFrom: blood }
    filters: [{ column: cell_type, equals: Malignant }, { column: study, notIn: [vanGalen2019sim] }]
  bone_marrow_val: { path: atlas/bone_marrow_val.h5ad, genes: { ids: index, symbols: feature_name } }
  aml:
    path: atlas/cca_hematologic.h5ad
    genes: { symbols: index, mapSymbolsFrom: blood }
    filters: [{ column: cell_type, equals: Malignant }, { column: study, equals: vanGalen2019sim }]
components:
  b1: { source: blood, size: 500 }
  mal: { source: cca, size: 500 }
corpora:
  Blood: [b1]
  BloodCancer: [mal]
models:
  ldvae: { kind: ldvae, set: { epochs: 60, nEpochsKlWarmup: 96 } }
evaluations:
  BoneMarrow: { source: bone_marrow_val, size: 250 }
  AML: { source: aml, size: 250 }
outputs: { report: false }
`;

test('malignant cells alone (heterogeneous studies) reconstruct bone marrow and the held-out AML study moderately', async () => {
  const { table, msg } = await medianR2(CANCER_YAML, ['Blood', 'BloodCancer'], ['BoneMarrow', 'AML'], [0]);
  // The malignant training studies share MALIG and the hematopoietic lineage programs (B, T,
  // MONO, HSC, GMP) with bone marrow and the AML study; a single foreign blast type did not (the
  // earlier design: BloodCancer alone about a quarter of Blood on every set). Same corpus size,
  // same training steps.
  assert.ok(table.BloodCancer.BoneMarrow > 0.75 * table.Blood.BoneMarrow, msg);
  assert.ok(table.BloodCancer.AML > table.Blood.AML, msg);
});
