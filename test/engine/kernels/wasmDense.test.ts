/**
 * WASM kernels against the reference backend: GEMM, sparse products, thread-count determinism and the arena.
 * Seeded random inputs with odd shapes (1x1, primes, non-multiples of the 4x8 tile and of
 * KC/NC, empty); tolerances are stated per test.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Rng } from '../../../src/data/rng.js';
import { createWasmBackend, type WasmBackend } from '../../../src/engine/backends/index.js';
import { assertClose, randArray, randCsr } from '../helpers.js';
import { bitEqual, copyTo, csrIn, data, ref, within, useBackends } from './wasmSetup.js';

const eng = useBackends();

test('backend reports its build and threads', () => {
  assert.match(eng.w2.name, /^wasm-(relaxed-)?simd$/);
  assert.equal(eng.w2.threads, 2);
  assert.equal(eng.w1.threads, 1);
});

test('gemm: all transposes, odd shapes, alpha/beta, K across KC and N across NC; error <= 2e-6 * sum|a*b|', () => {
  const rng = new Rng(1);
  const shapes: [number, number, number][] = [[1, 1, 1], [7, 13, 17], [4, 8, 256], [33, 65, 300], [5, 261, 3], [130, 9, 513], [0, 5, 3], [3, 4, 0], [2, 0, 5]];
  for (const [M, N, K] of shapes) {
    for (const [ta, tb] of [[false, false], [true, false], [false, true], [true, true]] as const) {
      for (const [alpha, beta] of [[1, 0], [0.5, 1], [-2, 0.25]]) {
        for (const be of [eng.w1, eng.w2]) {
          const A = data(be, rng, M * K), B = data(be, rng, K * N), C = data(be, rng, M * N);
          const want = Float32Array.from(C);
          ref.gemm(ta, tb, M, N, K, alpha, A, B, beta, want);
          const bound = new Float32Array(M * N);
          ref.gemm(ta, tb, M, N, K, Math.abs(alpha), A.map(Math.abs), B.map(Math.abs), 0, bound);
          be.gemm(ta, tb, M, N, K, alpha, A, B, beta, C);
          for (let i = 0; i < M * N; i++) {
            const tol = 2e-6 * bound[i] + 1e-6 * Math.abs(want[i]) + 1e-30;
            assert.ok(Math.abs(C[i] - want[i]) <= tol, `${M}x${N}x${K} ta=${ta} tb=${tb} a=${alpha} b=${beta} @${i}: ${C[i]} vs ${want[i]}`);
          }
          for (const a of [A, B, C]) be.free(a);
        }
      }
    }
  }
});

test('gemm with arrays outside the engine memory (copied in and out) equals the in-memory result', () => {
  const rng = new Rng(2);
  const A = Float32Array.from(randArray(rng, 6 * 5)), B = Float32Array.from(randArray(rng, 5 * 7)), C = new Float32Array(42);
  eng.w2.gemm(false, false, 6, 7, 5, 1, A, B, 0, C);
  const C2 = eng.w2.allocF32(42);
  eng.w2.gemm(false, false, 6, 7, 5, 1, copyTo(eng.w2, A), copyTo(eng.w2, B), 0, C2);
  bitEqual(C, C2, 'foreign vs owned');
});

test('spmm / spmmT (identity, log1p; beta 0, 1, 0.5), owned and foreign CSR: rel 2e-6', () => {
  const rng = new Rng(3);
  for (const [M, K, N] of [[1, 1, 1], [7, 13, 5], [31, 300, 19], [64, 97, 128], [3, 5, 0]]) {
    const A = randCsr(rng, M, K, 0.2);
    for (const be of [eng.w1, eng.w2]) {
      for (const Ause of [A, csrIn(be, A)]) {
        for (const op of ['identity', 'log1p'] as const) {
          for (const beta of [0, 1, 0.5]) {
            // error bound: 2e-6 * (|A| @ |B| + |beta C|), as for gemm
            const B = data(be, rng, K * N), C = data(be, rng, M * N), want = Float32Array.from(C), bound = C.map(Math.abs);
            ref.spmm(A, N, B, beta, want, op);
            ref.spmm(A, N, B.map(Math.abs), Math.abs(beta), bound, op);
            be.spmm(Ause, N, B, beta, C, op);
            within(C, want, bound, `spmm ${M}x${K}x${N} ${op} beta=${beta}`);
            const D = data(be, rng, M * N), E = data(be, rng, K * N), wantT = Float32Array.from(E), boundT = E.map(Math.abs);
            ref.spmmT(A, N, D, beta, wantT, op);
            ref.spmmT(A, N, D.map(Math.abs), Math.abs(beta), boundT, op);
            be.spmmT(Ause, N, D, beta, E, op);
            within(E, wantT, boundT, `spmmT ${M}x${K}x${N} ${op} beta=${beta}`);
          }
        }
      }
    }
  }
});

test('thread-count determinism: 1 vs 2 threads bitwise equal (dPxR of nbLossRows within 1e-6)', () => {
  const rng = new Rng(15);
  const M = 67, N = 129, K = 300;
  const A = Float32Array.from(randArray(rng, M * K)), B = Float32Array.from(randArray(rng, K * N));
  const Big = Float32Array.from(randArray(rng, 150001, -6, 6));
  const run = (be: WasmBackend) => {
    const C = be.allocF32(M * N);
    be.gemm(false, true, M, N, K, 1, copyTo(be, A), copyTo(be, B), 0, C);
    const S = randCsr(new Rng(16), M, K, 0.1);
    const D = be.allocF32(M * N);
    be.spmm(S, N, copyTo(be, B.subarray(0, K * N)), 0, D, 'log1p');
    const E = be.allocF32(K * N);
    be.spmmT(S, N, D, 0, E);
    // sizes are well above the per-thread minimum shares, so the 2-thread backend really splits
    const nU = 150001;
    const U = be.allocF32(nU);
    be.unary('gelu', nU, copyTo(be, Big), U);
    const s = be.sum(nU, U);
    const G = 300, Bn = 9;
    const X = randCsr(new Rng(17), Bn, G, 0.2, 30);
    const rec = be.allocF32(Bn), dl = be.allocF32(Bn * G), dll = be.allocF32(Bn), dp = be.allocF32(G);
    be.nbLossRows(Bn, G, copyTo(be, A.subarray(0, Bn * G)), copyTo(be, B.subarray(0, Bn).map((v) => v + 7)), copyTo(be, A.subarray(0, G)), X, 1, rec, dl, dll, dp);
    const T = 29, Dh = 8;
    const q = copyTo(be, A.subarray(0, T * 2 * Dh)), o = be.allocF32(T * 2 * Dh), lse = be.allocF32(2 * T), len = be.allocI32(1);
    len[0] = T;
    be.attentionForward(1, T, 2, Dh, q, q, q, len, 0.3, o, lse);
    return { C, D, E, U, s, rec, dl, dll, dp, o, lse };
  };
  const a = run(eng.w1), b = run(eng.w2);
  for (const k of ['C', 'D', 'E', 'U', 'rec', 'dl', 'dll', 'o', 'lse'] as const) bitEqual(a[k], b[k], k);
  assert.equal(a.s, b.s, 'sum');
  assertClose(a.dp, b.dp, 1e-6, 1e-9, 'dPxR (float64 partials per thread)');
});

test('arena: freed blocks are reused, memory growth is bounded and reported', async () => {
  const small = await createWasmBackend({ threads: 1, maxMemoryMiB: 16 });
  try {
    const a = small.allocF32(1000);
    const off = a.byteOffset;
    small.free(a);
    const b = small.allocF32(900);
    assert.equal(b.byteOffset, off, 'first fit reuses the freed block');
    assert.ok(b.every((v) => v === 0), 'reused block is zero-filled');
    const s1 = small.memoryStats();
    assert.throws(() => small.allocF32(8 * 1048576), (e: Error & { code?: string }) => e.code === 'ENGINE_FAILURE' && /memory limit/.test(e.message));
    const c = small.allocF32(1048576); // 4 MiB still fits after the failed request
    assert.ok(small.memoryStats().heapBytes <= 16 * 1048576);
    assert.ok(small.memoryStats().peakBytes >= s1.allocatedBytes + c.byteLength);
  } finally {
    await small.close();
  }
});
