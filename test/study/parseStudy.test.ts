import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { ScmixError } from '../../src/errors.js';
import { loadStudy, parseStudyText, planStudy } from '../../src/study/index.js';
import { atlasDir, memorySources, MINI, studyIn } from './support.js';

const dir = atlasDir();

/** The error a study text raises, checked to be a ScmixError. */
function errorOf(yaml: string): ScmixError {
  try {
    studyIn(dir, yaml);
  } catch (e) {
    assert.ok(e instanceof ScmixError, String(e));
    return e;
  }
  assert.fail('expected an error');
}

/** 1-based line of the first line containing `needle`. */
const lineOf = (yaml: string, needle: string) => yaml.split('\n').findIndex((l) => l.includes(needle)) + 1;

test('the mini study parses, fills defaults and freezes', () => {
  const s = studyIn(dir, MINI);
  assert.deepEqual(s.config.seeds, [0, 1]);
  assert.equal(s.config.genes, 'study');
  assert.deepEqual(s.config.sources.brain.qc, { minCounts: 1000, maxMitoFraction: 0.1, mitoPrefix: 'MT-' });
  assert.equal(s.config.models.ldvae.kind, 'ldvae');
  assert.ok(Object.isFrozen(s.config.sources.blood));
});

test('unknown source in a component: line, key and the defined sources', () => {
  const yaml = MINI.replace('k: { source: k562, size: 100 }', 'k: { source: k526, size: 100 }');
  const e = errorOf(yaml);
  assert.equal(e.code, 'CONFIG_INVALID');
  assert.match(e.message, new RegExp(`study\\.yaml:${lineOf(yaml, 'k526')} components\\.k\\.source: unknown source "k526"; defined sources: blood, bone_marrow, k562, cca, brain`));
});

test('a misspelt key is rejected with its line (strict schema)', () => {
  const yaml = MINI.replace('    path: atlas/brain.h5ad', '    path: atlas/brain.h5ad\n    filter: []');
  const e = errorOf(yaml);
  assert.match(e.message, new RegExp(`:${lineOf(yaml, 'filter: []')} sources\\.brain\\.filter: unknown key "filter"`));
});

test('a bad enum lists the accepted values', () => {
  const yaml = MINI.replace('    path: atlas/brain.h5ad', '    path: atlas/brain.h5ad\n    format: loom');
  const e = errorOf(yaml);
  assert.match(e.message, new RegExp(`:${lineOf(yaml, 'format: loom')} sources\\.brain\\.format: .*accepted values: "auto", "h5ad", "10x-h5", "mex", "3ca"`));
});

test('a missing file names the resolved path and the line', () => {
  const yaml = MINI.replace('atlas/brain.h5ad', 'atlas/brian.h5ad');
  const e = errorOf(yaml);
  assert.match(e.message, new RegExp(`:${lineOf(yaml, 'brian')} sources\\.brain\\.path: file not found: .*atlas/brian\\.h5ad`));
});

test('unknown component in a corpus and a filter with two operators', () => {
  const y1 = MINI.replace('Blood+BM: [b1, bm]', 'Blood+BM: [b1, bone]');
  assert.match(errorOf(y1).message, new RegExp(`:${lineOf(y1, '[b1, bone]')} corpora\\.Blood\\+BM\\[1\\]: unknown component "bone"`));
  const y2 = MINI.replace('{ column: disease, equals: normal }', '{ column: disease, equals: normal, in: [normal] }');
  assert.match(errorOf(y2).message, /sources\.blood\.filters\[0\]: a filter needs exactly one of: equals, notEquals, in, notIn/);
});

test('YAML syntax errors give line and column', () => {
  const e = errorOf('name: x\nsources: {a: [\n');
  assert.equal(e.code, 'CONFIG_INVALID');
  assert.match(e.message, /study\.yaml:\d+:\d+: YAML syntax error/);
});

test('a missing study file is INPUT_MISSING', () => {
  assert.throws(() => loadStudy(join(dir, 'nope.yaml')), (e: ScmixError) => e.code === 'INPUT_MISSING');
});

// Data-dependent checks: they need the sources' obs/var and QC, and still run before any build.
async function planError(yaml: string): Promise<ScmixError> {
  const s = studyIn(dir, yaml);
  try {
    await planStudy(s, { openSource: memorySources() });
  } catch (e) {
    assert.ok(e instanceof ScmixError, String(e));
    return e;
  }
  assert.fail('expected an error');
}

test('a filter on a missing column names the line and lists the columns', async () => {
  const yaml = MINI.replace('{ column: disease, equals: normal }', '{ column: diseases, equals: normal }');
  const e = await planError(yaml);
  assert.equal(e.code, 'CONFIG_INVALID');
  assert.match(e.message, new RegExp(`:${lineOf(yaml, 'diseases')} sources\\.blood\\.filters\\[0\\]\\.column: filter column "diseases" is not in atlas/blood\\.h5ad; available: index, cell_type, dataset_id, donor_id, disease`));
});

test('a component asking for more cells than pass QC says how many are available', async () => {
  const plan = await planStudy(studyIn(dir, MINI), { openSource: memorySources() });
  const avail = plan.sources.get('k562')!.prepared.afterQc;
  plan.close();
  const yaml = MINI.replace('k: { source: k562, size: 100 }', `k: { source: k562, size: ${avail + 1} }`);
  const e = await planError(yaml);
  assert.equal(e.code, 'NOT_ENOUGH_CELLS');
  assert.match(e.message, new RegExp(`:${lineOf(yaml, `size: ${avail + 1}`)} components\\.k\\.size: component "k" asks for ${avail + 1} cells but only ${avail} cells of source "k562" pass filters and QC`));
  assert.match(e.hint!, new RegExp(`at most ${avail}`));
});

test('a split part too small for the size reports the part size', async () => {
  const yaml = MINI.replace('b2: { source: blood, size: 200, split: { parts: 2, part: 1 } }', 'b2: { source: blood, size: 500, split: { parts: 2, part: 1 } }');
  const e = await planError(yaml);
  assert.equal(e.code, 'NOT_ENOUGH_CELLS');
  assert.match(e.message, /components\.b2\.size: .* asks for 500 cells but only \d+ cells .*\(part 1 of 2 of \d+ cells\)/);
});

test('an empty gene intersection is GENES_MISMATCH at the corpus line', async () => {
  // k562 ids without stripping vs. a symbol-id source: map K562 through a column that holds symbols.
  const yaml = MINI.replace('genes: { ids: index, symbols: gene_name }', 'genes: { ids: gene_name, symbols: gene_name }').replace("name: mini", "name: mini\ngenes: corpus");
  const e = await planError(yaml);
  assert.equal(e.code, 'GENES_MISMATCH');
  assert.match(e.message, new RegExp(`:${lineOf(yaml, 'Blood+K562:')} corpora\\.Blood\\+K562: the gene intersection of corpus "Blood\\+K562" is empty \\(mapped genes per source: blood: 213, k562: \\d+\\)`));
});

test('no file was written by a failed plan', () => {
  assert.deepEqual(readdirSync(dir).sort(), ['atlas', 'study.yaml']);
});

test('parseStudyText without a file uses <inline>', () => {
  assert.throws(() => parseStudyText('name: 1x\nsources: {}\ncomponents: {}\ncorpora: {}\nbogus: 1\n'), /<inline>:5 bogus: unknown key|<inline>:\d+ .*unknown key "bogus"/);
});

test('the shipped presets are valid studies; the baselines encode the paper\'s design', async () => {
  const { parse } = await import('yaml');
  const { mkdtempSync, mkdirSync, writeFileSync, readFileSync } = await import('node:fs');
  const { tmpdir } = await import('node:os');
  const { dirname } = await import('node:path');
  const presets = join(import.meta.dirname, '..', '..', 'presets');
  for (const name of ['demo', 'pbmc-mini', 'blood-baseline', 'atlas-baseline']) {
    const text = readFileSync(join(presets, `${name}.yaml`), 'utf8');
    const raw = parse(text) as { sources: Record<string, { path: string; obsCsv?: string; tfFilter?: { gct: string } }> };
    const base = mkdtempSync(join(tmpdir(), `scmix-preset-${name}-`));
    for (const s of Object.values(raw.sources)) {
      // Folders (MEX) have no extension; files are created empty.
      if (!/\.[a-z0-9]+$/i.test(s.path)) mkdirSync(join(base, s.path), { recursive: true });
      for (const p of [s.path, s.obsCsv, s.tfFilter?.gct]) {
        if (!p || !/\.[a-z0-9]+$/i.test(p)) continue;
        mkdirSync(dirname(join(base, p)), { recursive: true });
        writeFileSync(join(base, p), '');
      }
    }
    const study = parseStudyText(text, `${name}.yaml`, base);
    if (name === 'blood-baseline' || name === 'atlas-baseline') {
      const c = study.config;
      assert.equal(Object.keys(c.corpora).length, 10);
      assert.deepEqual(c.seeds, [0, 1]);
      const sizes = Object.fromEntries(Object.entries(c.components).map(([k, v]) => [k, v.size]));
      assert.equal(sizes.cca, 101879);
      assert.equal(sizes.k562, 50939);
      assert.equal(sizes.jurkat, 50940);
      assert.equal(sizes.bone_marrow_train, 'all');
      assert.equal(c.sources.joung_tf.tfFilter?.minZ, -0.25);
      assert.deepEqual(c.sources.k562.qc, { minCounts: 1000, maxMitoFraction: 0.1, mitoPrefix: 'MT-', totalCountsColumn: 'UMI_count', mitoFractionColumn: 'mitopercent' });
      assert.deepEqual(Object.keys(c.evaluations), ['scTab_Blood', 'scTab_BoneMarrow', 'CCA_Hematologic_Galen2019', 'CCA_Skin_Ji2020', 'Siletti_HumanBrain']);
    }
  }
});
