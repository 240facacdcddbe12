/**
 * Resume with the real stages: a training stage killed after a few epochs (an exception thrown
 * from its progress callback, after the LDVAE checkpoint of epoch 4) is resumed from that
 * checkpoint by the next run, and ends with the same weights as an uninterrupted run.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ScmixError } from '../../src/errors.js';
import { defaultStages, runStudy } from '../../src/study/index.js';
import { atlasDir, killingAt, memorySources, studyIn } from './support.js';

const YAML = `name: resume
sources:
  blood: { path: atlas/blood.h5ad, genes: { ids: index, symbols: feature_name } }
  brain: { path: atlas/brain.h5ad, genes: { ids: index, symbols: Gene } }
components:
  b: { source: blood, size: 200 }
corpora:
  Blood: [b]
models:
  ldvae: { kind: ldvae, set: { epochs: 8, checkpointEveryNEpoch: 2, nHidden: 32, nLatent: 4 } }
evaluations:
  Neurons: { source: brain, size: 40 }
outputs: { report: false }
`;

test('a killed LDVAE training resumes from its checkpoint and matches an uninterrupted run', async () => {
  const dirA = atlasDir();
  const studyA = studyIn(dirA, YAML);
  await runStudy(studyA, { outDir: join(dirA, 'run'), impls: defaultStages(studyA), openSource: memorySources() });

  const dirB = atlasDir();
  const studyB = studyIn(dirB, YAML);
  await assert.rejects(
    runStudy(studyB, { outDir: join(dirB, 'run'), impls: killingAt(defaultStages(studyB), 'epochs', 5), openSource: memorySources() }),
    (e: ScmixError) => e.code === 'INTERRUPTED',
  );
  const events: string[] = [];
  const r = await runStudy(studyB, {
    outDir: join(dirB, 'run'),
    impls: defaultStages(studyB),
    openSource: memorySources(),
    onEvent: (e) => e.type === 'stage-progress' && e.unit === 'epochs' && events.push(String(e.done)),
  });
  assert.deepEqual(r.ran, ['train/ldvae/Blood/seed0', 'eval/ldvae/Blood/seed0']);
  assert.equal(events[0], '5', `resumed after the epoch-4 checkpoint (epochs reported: ${events.join(',')})`);
  const w = (d: string) => readFileSync(join(d, 'run', 'models', 'ldvae', 'Blood', 'seed0', 'model.safetensors'));
  assert.ok(w(dirA).equals(w(dirB)), 'resumed weights equal the uninterrupted run');
});
