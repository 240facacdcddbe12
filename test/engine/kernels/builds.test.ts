/**
 * Both kernel builds (plain SIMD and relaxed SIMD) agree with the reference, and a process that
 * uses the pool without closing it still exits on its own (workers are unref'd).
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { Rng } from '../../../src/data/rng.js';
import { createWasmBackend, referenceBackend } from '../../../src/engine/backends/index.js';
import { assertClose, randArray } from '../helpers.js';

test('plain-SIMD and relaxed-SIMD builds both match the reference (gemm, exp, nb-free paths)', async () => {
  const ref = referenceBackend();
  for (const simd of ['plain', 'relaxed'] as const) {
    const be = await createWasmBackend({ threads: 2, simd });
    try {
      assert.equal(be.name, simd === 'plain' ? 'wasm-simd' : 'wasm-relaxed-simd');
      const rng = new Rng(21);
      const M = 19, N = 23, K = 300;
      const A = be.allocF32(M * K), B = be.allocF32(K * N), C = be.allocF32(M * N);
      A.set(randArray(rng, M * K));
      B.set(randArray(rng, K * N));
      const want = new Float32Array(M * N);
      ref.gemm(false, false, M, N, K, 1, A, B, 0, want);
      be.gemm(false, false, M, N, K, 1, A, B, 0, C);
      assertClose(C, want, 1e-5, 2e-5, `${simd} gemm`);
      const x = be.allocF32(1000), y = be.allocF32(1000), yr = new Float32Array(1000);
      x.set(randArray(rng, 1000, -20, 20));
      be.unary('softplus', 1000, x, y);
      ref.unary('softplus', 1000, x, yr);
      assertClose(y, yr, 1e-6, 1e-30, `${simd} softplus`);
    } finally {
      await be.close();
    }
  }
});

test('a process that never calls close() exits by itself with its result printed', () => {
  const script = `
    const { createBackend } = await import(${JSON.stringify(new URL('../../../src/engine/backends/index.ts', import.meta.url).href)});
    const be = await createBackend({ kind: 'wasm', threads: 2 });
    const a = be.allocF32(1 << 18).fill(1);
    be.unary('exp', a.length, a, a);
    console.log(be.name, a[12345].toFixed(4));
  `;
  const root = fileURLToPath(new URL('../../../', import.meta.url));
  const r = spawnSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], { cwd: root, encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stdout, /wasm-(relaxed-)?simd 2\.7183/);
});
