/** Backend selection: createBackend / getBackend / setBackend and option validation. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { createBackend, getBackend, referenceBackend, setBackend, special, type WasmBackend } from '../../../src/engine/backends/index.js';
import { assertClose, specialTables } from '../helpers.js';

test('createBackend: auto -> WASM build, reference on request; the last one becomes getBackend()', async () => {
  const w = (await createBackend({ kind: 'auto', threads: 2 })) as WasmBackend;
  try {
    assert.match(w.name, /^wasm-(relaxed-)?simd$/);
    assert.equal(getBackend(), w);
    const r = await createBackend({ kind: 'reference' });
    assert.equal(r.name, 'reference');
    assert.equal(getBackend(), r);
    const r2 = referenceBackend();
    setBackend(r2);
    assert.equal(getBackend(), r2);
  } finally {
    await w.close();
  }
});

test('createBackend rejects unknown or out-of-range options with CONFIG_INVALID', async () => {
  await assert.rejects(createBackend({ kind: 'gpu' } as never), (e: Error & { code?: string }) => e.code === 'CONFIG_INVALID' && /kind/.test(e.message));
  await assert.rejects(createBackend({ threads: 0 }), (e: Error & { code?: string }) => e.code === 'CONFIG_INVALID' && /threads/.test(e.message));
  await assert.rejects(createBackend({ thread: 2 } as never), (e: Error & { code?: string }) => e.code === 'CONFIG_INVALID');
});

test('float64 trigamma and erf against the scipy table', () => {
  const t = specialTables();
  for (const [x, y] of t.trigamma) assertClose([special.trigamma(x)], [y], 1e-12, 1e-14, `trigamma(${x})`);
  for (const [x, y] of t.erf) assertClose([special.erf(x)], [y], 1e-13, 1e-16, `erf(${x})`);
});
