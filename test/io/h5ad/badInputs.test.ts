/** Bad inputs: one clear ScmixError each, naming the file and the problem. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { copyFileSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import h5wasm from 'h5wasm/node';
import { ScmixError } from '../../../src/errors.js';
import { initH5, openH5ad, read10xH5, readH5ad } from '../../../src/io/index.js';
import { fixture } from './support.js';

const dir = mkdtempSync(join(tmpdir(), 'scmix-h5ad-bad-'));
test.after(() => rmSync(dir, { recursive: true, force: true }));

function fails(code: string, path: string, ...words: string[]) {
  return (e: unknown): boolean => {
    assert.ok(e instanceof ScmixError, `ScmixError expected, got ${String(e)}`);
    assert.equal(e.code, code, e.message);
    assert.ok(e.message.includes(path), `message names the file: ${e.message}`);
    for (const w of words) assert.ok(e.message.toLowerCase().includes(w.toLowerCase()), `message mentions '${w}': ${e.message}`);
    return true;
  };
}

test('missing file -> INPUT_MISSING naming it', async () => {
  const p = join(dir, 'nope.h5ad');
  await assert.rejects(readH5ad(p), fails('INPUT_MISSING', p, 'not found'));
  await assert.rejects(read10xH5(p), fails('INPUT_MISSING', p, 'not found'));
});

test('not an HDF5 file -> INPUT_FORMAT', async () => {
  const p = join(dir, 'text.h5ad');
  writeFileSync(p, 'cell,gene,count\n'.repeat(100));
  await assert.rejects(readH5ad(p), fails('INPUT_FORMAT', p, 'not an HDF5 file'));
});

test('truncated h5ad (cut bytes) -> INPUT_FORMAT "truncated"', async () => {
  const p = fixture('truncated.h5ad');
  await assert.rejects(readH5ad(p), fails('INPUT_FORMAT', p, 'truncated'));
});

test('LZF-compressed X -> INPUT_FORMAT naming dataset and filter, with a re-save hint; nothing is read', async () => {
  const p = fixture('lzf_x.h5ad');
  await assert.rejects(readH5ad(p), (e: unknown) => {
    fails('INPUT_FORMAT', p, '/X/data', 'lzf', '32000')(e);
    assert.match((e as ScmixError).hint ?? '', /compression="gzip"/);
    return true;
  });
  // obs/var are fine, so opening works and the refusal comes from the X layout check
  await assert.rejects(openH5ad(p), fails('INPUT_FORMAT', p, 'lzf'));
});

/** Copy a good fixture and damage one dataset with h5wasm. */
async function damaged(name: string, edit: (f: InstanceType<typeof h5wasm.File>) => void): Promise<string> {
  await initH5();
  const p = join(dir, name);
  copyFileSync(fixture('csr_f32.h5ad'), p);
  const f = new h5wasm.File(p, 'a');
  try { edit(f); } finally { f.close(); }
  return p;
}

test('no X -> INPUT_FORMAT; no obs -> INPUT_FORMAT', async () => {
  // h5wasm cannot delete objects, so build minimal files without X / without obs
  await initH5();
  const p = join(dir, 'no-x.h5ad');
  const f = new h5wasm.File(p, 'w');
  for (const el of ['obs', 'var']) {
    const g = f.create_group(el);
    g.create_attribute('encoding-type', 'dataframe');
    g.create_attribute('encoding-version', '0.2.0');
    g.create_attribute('_index', '_index');
    g.create_attribute('column-order', new Float64Array(0), [0]);
    g.create_dataset({ name: '_index', data: ['a', 'b'], shape: [2] });
  }
  f.close();
  await assert.rejects(readH5ad(p), fails('INPUT_FORMAT', p, 'no X'));
  const q = join(dir, 'no-obs.h5ad');
  const h = new h5wasm.File(q, 'w');
  h.create_group('X');
  h.close();
  await assert.rejects(readH5ad(q), fails('INPUT_FORMAT', q, '/obs'));
});

test('indptr length disagreeing with the shape -> SHAPE_MISMATCH', async () => {
  const p = await damaged('badshape.h5ad', (f) => {
    const x = f.get('X') as never as { create_attribute(n: string, v: unknown, s: number[]): void; delete_attribute(n: string): void };
    x.delete_attribute('shape');
    x.create_attribute('shape', BigInt64Array.from([31n, 12n]), [2]);
  });
  await assert.rejects(readH5ad(p), fails('SHAPE_MISMATCH', p, 'indptr', 'length'));
});

test('X shape disagreeing with obs -> SHAPE_MISMATCH', async () => {
  const p = await damaged('badobs.h5ad', (f) => {
    const x = f.get('X') as never as { create_attribute(n: string, v: unknown, s: number[]): void; delete_attribute(n: string): void };
    x.delete_attribute('shape');
    x.create_attribute('shape', BigInt64Array.from([30n, 13n]), [2]);
  });
  await assert.rejects(readH5ad(p), fails('SHAPE_MISMATCH', p, 'var'));
});

test('column index out of range -> SHAPE_MISMATCH', async () => {
  const p = await damaged('badidx.h5ad', (f) => {
    const ds = f.get('X/indices') as never as { write_slice(r: number[][], d: Int32Array): void };
    ds.write_slice([[5, 6]], Int32Array.of(99));
  });
  await assert.rejects(readH5ad(p), fails('SHAPE_MISMATCH', p, 'indices', '99'));
});

test('decreasing indptr -> SHAPE_MISMATCH', async () => {
  const p = await damaged('badptr.h5ad', (f) => {
    const ds = f.get('X/indptr') as never as { write_slice(r: number[][], d: Int32Array): void };
    ds.write_slice([[10, 11]], Int32Array.of(1));
  });
  await assert.rejects(readH5ad(p), fails('SHAPE_MISMATCH', p, 'indptr'));
});

test('an h5ad given to read10xH5 -> INPUT_FORMAT "not a Cell Ranger"', async () => {
  const p = fixture('csr_f32.h5ad');
  await assert.rejects(read10xH5(p), fails('INPUT_FORMAT', p, 'Cell Ranger'));
});
