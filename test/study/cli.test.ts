import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';
import { parseOnly } from '../../src/cli/commands/run.js';
import { MINI } from './support.js';

/** Run the CLI in a child process (the test runner owns this process's stdout). */
async function cli(...args: string[]): Promise<{ code: number; out: string; err: string }> {
  const r = spawnSync(process.execPath, ['--import', 'tsx', join(import.meta.dirname, 'cliEntry.ts'), ...args], { encoding: 'utf8' });
  return { code: r.status ?? -1, out: r.stdout, err: r.stderr };
}

const dir = mkdtempSync(join(tmpdir(), 'scmix-cli-'));

test('--only parses key=value lists', () => {
  assert.deepEqual(parseOnly('corpus=A,B,stage=train,model=ldvae'), { corpus: ['A', 'B'], stage: ['train'], model: ['ldvae'] });
  assert.throws(() => parseOnly('stage=fit'), /unknown stage; accepted: build, evalset, train, eval, report/);
  assert.throws(() => parseOnly('corpora=A'), /unknown key "corpora"/);
});

test('simulate, build, list jobs through the CLI; a bad study exits 2 with the line', async () => {
  const sim = await cli('simulate', '--out', join(dir, 'atlas'), '--scale', '0.3', '--genes', '200', '--json');
  assert.equal(sim.code, 0, sim.err);
  assert.equal(sim.out.trim().split('\n').length, 10, sim.out);
  assert.ok(existsSync(join(dir, 'atlas', 'atlas.json')));
  writeFileSync(join(dir, 'study.yaml'), MINI);
  const b = await cli('build', join(dir, 'study.yaml'), '--only', 'corpus=Blood', '--seeds', '1', '--json');
  assert.equal(b.code, 0, b.err);
  const fin = JSON.parse(b.out.trim().split('\n').at(-1)!);
  assert.deepEqual(fin.ran, ['build/Blood/seed1']);
  const m = JSON.parse(readFileSync(join(dir, 'scmix-out', 'corpora', 'Blood', 'seed1', 'manifest.json'), 'utf8'));
  assert.equal(m.nCells, 200);
  const jobs = await cli('run', join(dir, 'study.yaml'), '--list-jobs', '--json');
  assert.equal(jobs.code, 0, jobs.err);
  const lines = jobs.out.trim().split('\n').map((l) => JSON.parse(l));
  assert.equal(lines.length, 11);
  assert.equal(lines[0].job, 'ldvae/Blood/seed0');
  assert.match(lines[0].command, /scmix run .*study\.yaml --job ldvae\/Blood\/seed0/);
  writeFileSync(join(dir, 'bad.yaml'), MINI.replace('size: 100 }', 'size: -3 }'));
  const bad = await cli('run', join(dir, 'bad.yaml'));
  assert.equal(bad.code, 2);
  assert.match(bad.err, /bad\.yaml:\d+ components\.k\.size: /);
});
