import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Command } from 'commander';
import { register as registerTokenize } from '../../../../src/cli/commands/tokenize.js';
import { register as registerTokens } from '../../../../src/cli/commands/tokens.js';
import { ScmixError } from '../../../../src/errors.js';
import { V1_DIR } from './helpers.js';
import { SHARED_ROOT as sharedRoot } from '../../../support/paths.js';

const KANG = sharedRoot + '/data/kang2018_pbmc_muscat/example_sce_1556cells.h5ad';
const exp = JSON.parse(readFileSync('test/fixtures/tokenizer/kang_v1_tokens.json', 'utf8')) as { first: { cell: string; cell_type: string; input_ids: number[] }[]; kept: number };

/** Run registered commands (main.ts is the lead's) and capture stdout. */
async function cli(args: string[]): Promise<string> {
  const program = new Command('scmix').exitOverride();
  registerTokenize(program);
  registerTokens(program);
  const chunks: string[] = [];
  const orig = process.stdout.write.bind(process.stdout);
  // strings only: node:test's own protocol goes to stdout as binary chunks
  (process.stdout as { write: unknown }).write = (s: string | Uint8Array, ...rest: unknown[]) =>
    typeof s === 'string' ? (chunks.push(s), true) : (orig as (...a: unknown[]) => boolean)(s, ...rest);
  try {
    await program.parseAsync(['node', 'scmix', ...args]);
  } finally {
    (process.stdout as { write: unknown }).write = orig;
  }
  return chunks.join('');
}

test('scmix tokenize + tokens show --json on the Kang h5ad (V1): first cells equal the NumPy encoding', { skip: existsSync(KANG) ? false : 'dataset missing' }, async () => {
  const dir = mkdtempSync(join(tmpdir(), 'scmix-cli-'));
  try {
    const out = join(dir, 'tok');
    const summary = JSON.parse(await cli(['tokenize', KANG, '--out', out, '--dictionaries', V1_DIR, '--obs-columns', 'cell_type,sample_id', '--json']));
    assert.equal(summary.kept, exp.kept);
    assert.equal(summary.dropped, 0);
    const lines = (await cli(['tokens', 'show', out, '--head', '3', '--json'])).trim().split('\n').map((l) => JSON.parse(l));
    assert.equal(lines.length, 3);
    lines.forEach((rec, i) => {
      assert.equal(rec.cell, exp.first[i].cell);
      assert.equal(rec.cell_type, exp.first[i].cell_type);
      assert.equal(rec.length, exp.first[i].input_ids.length);
      assert.deepEqual(rec.input_ids, exp.first[i].input_ids);
    });
    // rejected: neither dictionary flag; unknown dictionary format
    await assert.rejects(cli(['tokenize', KANG, '--out', join(dir, 'x')]), (e: unknown) => e instanceof ScmixError && e.code === 'CONFIG_INVALID');
    await assert.rejects(cli(['tokenize', join(dir, 'nope.h5ad'), '--out', join(dir, 'y'), '--dictionaries', V1_DIR]), (e: unknown) => e instanceof ScmixError && e.code === 'INPUT_MISSING');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
