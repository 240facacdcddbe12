import { test } from 'node:test';
import assert from 'node:assert/strict';
import { appendFileSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ScmixError } from '../../src/errors.js';
import { runStudy, prepareRun, type StageImpls, type RunOptions } from '../../src/study/index.js';
import { atlasDir, memorySources, MINI, studyIn } from './support.js';

/** Small fake stages that write their outputs and count calls; `failOn` throws mid-stage once. */
function fakes(log: string[], failOn?: { id: string; once: boolean }): StageImpls {
  let failed = false;
  const maybeFail = (id: string) => {
    if (failOn && failOn.id === id && !(failOn.once && failed)) {
      failed = true;
      throw new ScmixError('INTERRUPTED', `killed during ${id}`);
    }
  };
  return {
    async build({ stage }) {
      log.push(stage.id);
      writeFileSync(join(stage.dir, 'corpus.h5ad'), 'partial');
      maybeFail(stage.id);
      writeFileSync(join(stage.dir, 'manifest.json'), '{}');
    },
    async evalset({ stage }) {
      log.push(stage.id);
      writeFileSync(join(stage.dir, `${stage.evalSet}.h5ad`), 'x');
      writeFileSync(join(stage.dir, `${stage.evalSet}.manifest.json`), '{}');
    },
    async train({ stage, onProgress }) {
      log.push(stage.id);
      onProgress(1, 2, 'epochs');
      maybeFail(stage.id);
      writeFileSync(join(stage.dir, 'model.json'), '{}');
    },
    async evaluate({ stage }) {
      log.push(stage.id);
      for (const o of stage.outputs) {
        mkdirSync(join(o, '..'), { recursive: true });
        writeFileSync(o, '{}');
      }
    },
    async report({ stage }) {
      log.push(stage.id);
      writeFileSync(join(stage.dir, 'report.html'), '<html>');
    },
  };
}

const ONE_SEED = MINI.replace('seeds: [0, 1]', 'seeds: [0]');

async function run(dir: string, yaml: string, log: string[], extra: Partial<RunOptions> = {}) {
  return runStudy(studyIn(dir, yaml), { outDir: join(dir, 'run'), impls: fakes(log), openSource: memorySources(), ...extra });
}

test('a second run is all cache hits; the grid has build/train/eval per (corpus, seed) + evalsets + report', async () => {
  const dir = atlasDir();
  const log: string[] = [];
  const r1 = await run(dir, ONE_SEED, log);
  // 5 corpora x 1 seed x (build, train, eval) + 1 evalset + report
  assert.equal(r1.ran.length, 5 * 3 + 1 + 1);
  assert.equal(r1.graph.jobs.length, 5);
  assert.deepEqual(r1.ran.slice(0, 4), ['evalset/Neurons', 'build/Blood/seed0', 'train/ldvae/Blood/seed0', 'eval/ldvae/Blood/seed0']);
  assert.equal(r1.ran.at(-1), 'report');
  assert.ok(existsSync(join(dir, 'run', 'study.resolved.json')));
  const log2: string[] = [];
  const r2 = await run(dir, ONE_SEED, log2);
  assert.deepEqual(log2, []);
  assert.equal(r2.cached.length, r1.ran.length);
});

test('changing one component invalidates exactly the corpora that use it, and what follows', async () => {
  const dir = atlasDir();
  await run(dir, ONE_SEED, []);
  const log: string[] = [];
  await run(dir, ONE_SEED.replace('k: { source: k562, size: 100 }', 'k: { source: k562, size: 90 }'), log);
  assert.deepEqual(log, ['build/Blood+K562/seed0', 'train/ldvae/Blood+K562/seed0', 'eval/ldvae/Blood+K562/seed0', 'report']);
});

test('changing a model setting retrains and re-evaluates every corpus but rebuilds none', async () => {
  const dir = atlasDir();
  await run(dir, ONE_SEED, []);
  const log: string[] = [];
  await run(dir, ONE_SEED + 'models:\n  ldvae: { kind: ldvae, set: { epochs: 3 } }\n', log);
  assert.equal(log.filter((s) => s.startsWith('build')).length, 0);
  assert.equal(log.filter((s) => s.startsWith('train')).length, 5);
  assert.equal(log.filter((s) => s.startsWith('eval/')).length, 5);
});

test('changing an input file invalidates the stages that read it (content hash)', async () => {
  const dir = atlasDir();
  await run(dir, ONE_SEED, []);
  appendFileSync(join(dir, 'atlas', 'k562.h5ad'), 'changed');
  const log: string[] = [];
  await run(dir, ONE_SEED, log);
  // Only the corpus reading k562 rebuilds: the others depend on k562 through the study-wide gene
  // list alone, which is part of their key and did not change.
  assert.deepEqual(log.filter((s) => s.startsWith('build')), ['build/Blood+K562/seed0']);
  assert.ok(!log.includes('evalset/Neurons'));
  const log2: string[] = [];
  appendFileSync(join(dir, 'atlas', 'brain.h5ad'), 'changed');
  await run(dir, ONE_SEED, log2);
  assert.deepEqual(log2.filter((s) => !s.startsWith('eval/')), ['evalset/Neurons', 'report']);
});

test('an output overwritten by another config is not taken for done (stamp check)', async () => {
  const dir = atlasDir();
  const yamlB = ONE_SEED.replace('k: { source: k562, size: 100 }', 'k: { source: k562, size: 90 }');
  await run(dir, ONE_SEED, []);
  await run(dir, yamlB, []);
  const log: string[] = [];
  await run(dir, ONE_SEED, log); // back to A: the record of A exists, but the folder holds B
  assert.deepEqual(log, ['build/Blood+K562/seed0', 'train/ldvae/Blood+K562/seed0', 'eval/ldvae/Blood+K562/seed0', 'report']);
});

test('resume after a stage killed midway: done stages are kept, the killed one reruns', async () => {
  const dir = atlasDir();
  const log: string[] = [];
  const study = studyIn(dir, ONE_SEED);
  await assert.rejects(
    runStudy(study, { outDir: join(dir, 'run'), impls: fakes(log, { id: 'train/ldvae/Blood+BM/seed0', once: true }), openSource: memorySources() }),
    (e: ScmixError) => e.code === 'INTERRUPTED',
  );
  assert.equal(log.at(-1), 'train/ldvae/Blood+BM/seed0');
  assert.ok(!existsSync(join(dir, 'run', 'models', 'ldvae', 'Blood+BM', 'seed0', '.stage')));
  const log2: string[] = [];
  await run(dir, ONE_SEED, log2);
  assert.deepEqual(log2.slice(0, 2), ['train/ldvae/Blood+BM/seed0', 'eval/ldvae/Blood+BM/seed0']);
  assert.ok(!log2.includes('build/Blood+BM/seed0'));
  assert.ok(!log2.includes('train/ldvae/Blood/seed0'));
});

test('a build killed after writing a partial file is redone, not trusted', async () => {
  const dir = atlasDir();
  const study = studyIn(dir, ONE_SEED);
  await assert.rejects(runStudy(study, { outDir: join(dir, 'run'), impls: fakes([], { id: 'build/Blood/seed0', once: true }), openSource: memorySources() }));
  assert.equal(readFileSync(join(dir, 'run', 'corpora', 'Blood', 'seed0', 'corpus.h5ad'), 'utf8'), 'partial');
  const log: string[] = [];
  await run(dir, ONE_SEED, log);
  assert.ok(log.includes('build/Blood/seed0'));
});

test('jobs are independent and addressable: --job runs one grid cell, report waits for all', async () => {
  const dir = atlasDir();
  const { graph, plan } = await prepareRun(studyIn(dir, MINI), { outDir: join(dir, 'run'), openSource: memorySources() });
  plan.close();
  assert.equal(graph.jobs.length, 10); // 5 corpora x 2 seeds x 1 model
  assert.deepEqual(graph.jobs[0], {
    id: 'ldvae/Blood/seed0',
    model: 'ldvae',
    corpus: 'Blood',
    seed: 0,
    stages: ['build/Blood/seed0', 'evalset/Neurons', 'train/ldvae/Blood/seed0', 'eval/ldvae/Blood/seed0'],
  });
  const log: string[] = [];
  await run(dir, MINI, log, { job: 'ldvae/Blood+BM/seed1' });
  assert.deepEqual(log, ['build/Blood+BM/seed1', 'evalset/Neurons', 'train/ldvae/Blood+BM/seed1', 'eval/ldvae/Blood+BM/seed1']);
  await assert.rejects(run(dir, MINI, [], { job: 'report' }), (e: ScmixError) => e.code === 'INPUT_MISSING' && /report needs eval\/ldvae\/Blood\/seed0/.test(e.message));
  await assert.rejects(run(dir, MINI, [], { job: 'ldvae/Nope/seed0' }), (e: ScmixError) => e.code === 'CONFIG_INVALID' && /unknown job/.test(e.message));
});

test('--only stage/corpus and --seeds select stages; unknown names are CONFIG_INVALID', async () => {
  const dir = atlasDir();
  const log: string[] = [];
  await run(dir, MINI, log, { only: { stage: ['build'], corpus: ['Blood', 'Blood+BM'] }, seeds: [1] });
  assert.deepEqual(log, ['build/Blood/seed1', 'build/Blood+BM/seed1']);
  await assert.rejects(run(dir, MINI, [], { only: { corpus: ['Nope'] } }), (e: ScmixError) => e.code === 'CONFIG_INVALID' && /unknown corpus "Nope"/.test(e.message));
  await assert.rejects(run(dir, MINI, [], { only: { stage: ['train'], corpus: ['Blood'] }, seeds: [0] }), (e: ScmixError) => e.code === 'INPUT_MISSING' && /needs build\/Blood\/seed0/.test(e.message));
});
