import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { tmpdir } from 'node:os';
import { writeTokenDataset } from '../../../../src/models/geneformer/index.js';
import { loadGeneformer } from '../../../../src/models/geneformer/index.js';
import { runCli } from '../../../../src/cli/main.js';
import { simulatedTokens } from './simulatedTokens.js';

async function capture(argv: string[]): Promise<{ code: number; out: string; err: string }> {
  const out: string[] = [];
  const err: string[] = [];
  const ow = process.stdout.write.bind(process.stdout);
  const ew = process.stderr.write.bind(process.stderr);
  (process.stdout as any).write = (s: string) => (out.push(String(s)), true);
  (process.stderr as any).write = (s: string) => (err.push(String(s)), true);
  try {
    const code = await runCli(['node', 'scmix', ...argv]);
    // node:test's own protocol also goes through stdout in this process: keep our JSON lines only
    const ours = [...out.join('').matchAll(/\{"event":[^\n]*\}/g)].map((m) => m[0]);
    return { code, out: ours.join('\n'), err: err.join('') };
  } finally {
    (process.stdout as any).write = ow;
    (process.stderr as any).write = ew;
  }
}

test('scmix train geneformer --json: logging lines, HF checkpoint, --resume, bad input', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'scmix-cli-gf-'));
  try {
    const src = simulatedTokens({ nCells: 24, vocabSize: 30, minLen: 4, maxLen: 12, nTypes: 2, programSize: 5, noise: 0.1, seed: 4 });
    const toks = join(dir, 'tokens');
    writeTokenDataset(toks, src.cells, { index: src.cells.map((_, i) => `c${i}`), sourceRows: src.cells.map((_, i) => i), columns: {} }, {}, { vocabSize: 30 });
    const out = join(dir, 'model');
    const r = await capture(['train', 'geneformer', '--tokens', toks, '--out', out, '--config', 'tiny', '--max-steps', '6', '--batch-size', '8', '--log-every', '2', '--save-every', '3', '--backend', 'reference', '--json']);
    assert.equal(r.code, 0, r.err);
    const lines = r.out.trim().split('\n').map((l) => JSON.parse(l));
    assert.deepEqual(lines.filter((l) => l.event === 'log').map((l) => l.step), [2, 4, 6]);
    for (const l of lines.filter((x) => x.event === 'log')) assert.ok(Number.isFinite(l.loss) && l.tokensPerSec > 0);
    assert.equal(lines.at(-1).event, 'done');
    const m = loadGeneformer(out);
    assert.equal(m.config.vocabSize, 30, 'vocabulary taken from the token dataset');
    assert.equal(JSON.parse(readFileSync(join(out, 'trainer_state.json'), 'utf8')).step, 6);
    // resume a finished run: nothing left to do, same weights
    const r2 = await capture(['train', 'geneformer', '--tokens', toks, '--out', out, '--config', 'tiny', '--max-steps', '6', '--batch-size', '8', '--log-every', '2', '--save-every', '3', '--backend', 'reference', '--json', '--resume']);
    assert.equal(r2.code, 0, r2.err);
    assert.equal(JSON.parse(r2.out.trim().split('\n').at(-1)!).resumedFrom, 6);
    assert.deepEqual(loadGeneformer(out).params.word.data, m.params.word.data);
    // an existing checkpoint is neither silently continued nor overwritten
    const r5 = await capture(['train', 'geneformer', '--tokens', toks, '--out', out, '--config', 'tiny', '--max-steps', '6']);
    assert.equal(r5.code, 2);
    assert.match(r5.err, /already holds a training checkpoint/);
    // bad input: readable error, exit status 2
    const r3 = await capture(['train', 'geneformer', '--tokens', join(dir, 'nope'), '--out', join(dir, 'other')]);
    assert.equal(r3.code, 2);
    assert.match(r3.err, /nope/);
    const r4 = await capture(['train', 'geneformer', '--tokens', toks, '--out', out, '--lr', '-1', '--overwrite']);
    assert.equal(r4.code, 2);
    assert.match(r4.err, /--lr/);
    assert.ok(existsSync(join(out, 'model.safetensors')));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
