import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createPool } from '../../../src/engine/pool/index.js';
import { ScmixError } from '../../../src/errors.js';
import { WA } from '../../../src/engine/backends/wasmApi.js';

// A hand-assembled module importing a shared memory, with two functions: `spin` (an endless
// loop) and `noop`. The worker runs `spin` while the main thread runs `noop`, which is exactly
// what a worker that never answers looks like to the join.
const BYTES = Uint8Array.from([
  0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00,
  0x01, 0x04, 0x01, 0x60, 0x00, 0x00, // type: () -> ()
  0x02, 0x10, 0x01, 0x03, 0x65, 0x6e, 0x76, 0x06, 0x6d, 0x65, 0x6d, 0x6f, 0x72, 0x79, 0x02, 0x03, 0x01, 0x01, // import env.memory shared 1..1
  0x03, 0x03, 0x02, 0x00, 0x00, // two functions of type 0
  0x07, 0x0f, 0x02, 0x04, 0x73, 0x70, 0x69, 0x6e, 0x00, 0x00, 0x04, 0x6e, 0x6f, 0x6f, 0x70, 0x00, 0x01, // export spin, noop
  0x0a, 0x0c, 0x02, 0x07, 0x00, 0x03, 0x40, 0x0c, 0x00, 0x0b, 0x0b, 0x02, 0x00, 0x0b, // spin: loop br 0; noop
]);

test('a worker that never finishes makes run() fail with ENGINE_FAILURE, and the pool refuses more work', async () => {
  const memory = new WA.Memory({ initial: 1, maximum: 1, shared: true });
  const module = new WA.Module(BYTES);
  const main = new WA.Instance(module, { env: { memory } }).exports as unknown as Record<string, () => void>;
  const pool = await createPool({ threads: 2, module, memory, names: ['spin', 'noop'], mainFns: [main.noop, main.noop], joinLimitMs: 1500 });
  pool.run(1, [[], []]); // both threads run noop: joins normally
  assert.throws(() => pool.run(0, [[], []]), (e: unknown) => e instanceof ScmixError && e.code === 'ENGINE_FAILURE' && /spin: 1 worker thread\(s\) did not finish within 1.5 s/.test(e.message));
  assert.throws(() => pool.run(1, [[], []]), (e: unknown) => e instanceof ScmixError && /closed/.test(e.message));
  // the spinning worker is unref'd, so this test file's process still exits
});
