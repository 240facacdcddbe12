import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { withAtomicPath, withAtomicPathSync, writeFileAtomic } from '../../src/io/atomic.js';

const fresh = () => mkdtempSync(join(tmpdir(), 'atomic-'));

test('writeFileAtomic writes the content and leaves no temp file', () => {
  const dir = fresh();
  writeFileAtomic(join(dir, 'sub', 'a.txt'), 'hello');
  assert.equal(readFileSync(join(dir, 'sub', 'a.txt'), 'utf8'), 'hello');
  assert.deepEqual(readdirSync(join(dir, 'sub')), ['a.txt']);
});

test('a failing writer leaves the previous file intact and no temp file', async () => {
  const dir = fresh();
  const p = join(dir, 'out.bin');
  writeFileSync(p, 'old');
  await assert.rejects(
    withAtomicPath(p, (tmp) => {
      writeFileSync(tmp, 'half-written');
      throw new Error('killed');
    }),
    /killed/,
  );
  assert.equal(readFileSync(p, 'utf8'), 'old');
  assert.deepEqual(readdirSync(dir), ['out.bin']);
  assert.throws(() => withAtomicPathSync(p, (tmp) => { writeFileSync(tmp, 'x'); throw new Error('boom'); }), /boom/);
  assert.deepEqual(readdirSync(dir), ['out.bin']);
});

test('withAtomicPath renames the finished file into place and returns the writer result', async () => {
  const dir = fresh();
  const p = join(dir, 'x.json');
  const r = await withAtomicPath(p, async (tmp) => { writeFileSync(tmp, '{"a":1}'); return 42; });
  assert.equal(r, 42);
  assert.deepEqual(JSON.parse(readFileSync(p, 'utf8')), { a: 1 });
});
