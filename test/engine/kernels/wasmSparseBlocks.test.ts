/**
 * The sparse products at LDVAE-like sizes, where their blocking actually engages: spmm walks B in
 * blocks of rows (512 KiB each: 1024 rows at N = 128), spmmT goes through a CSC copy of A and splits
 * output rows over threads. Checked against the reference backend with the same error bound as
 * wasmDense.test.ts (2e-6 * (|A| |B| + |beta C|)), 1 vs 2 threads bitwise, and unsorted CSR rows.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Rng } from '../../../src/data/rng.js';
import type { CsrView } from '../../../src/engine/backend.js';
import { randArray, randCsr } from '../helpers.js';
import { bitEqual, copyTo, csrIn, data, ref, within, useBackends } from './wasmSetup.js';

const eng = useBackends();

// [M, K, N]: 3 blocks of 1024 rows of B; 6 blocks of 128 rows (N = 1024); 5 blocks of 64 rows (N = 8192)
const SHAPES: [number, number, number][] = [[9, 3000, 128], [5, 700, 1024], [3, 300, 8192]];

/** The same matrix with each row's nonzeros in a shuffled order (still valid CSR, unsorted). */
function shuffledRows(rng: Rng, A: CsrView): CsrView {
  const indices = Int32Array.from(A.indices), values = Float32Array.from(A.values);
  for (let r = 0; r < A.nRows; r++) {
    for (let p = A.indptr[r + 1] - 1; p > A.indptr[r]; p--) {
      const q = A.indptr[r] + rng.int(p - A.indptr[r] + 1);
      [indices[p], indices[q]] = [indices[q], indices[p]];
      [values[p], values[q]] = [values[q], values[p]];
    }
  }
  return { ...A, indices, values };
}

test('spmm across several row blocks of B: within 2e-6 * (|A||B| + |beta C|) of the reference, sorted and unsorted rows', () => {
  const rng = new Rng(41);
  for (const [M, K, N] of SHAPES) {
    const sorted = randCsr(rng, M, K, 0.05);
    for (const A of [sorted, shuffledRows(rng, sorted)]) {
      for (const be of [eng.w1, eng.w2]) {
        for (const op of ['identity', 'log1p'] as const) {
          for (const beta of [0, 0.5]) {
            const B = data(be, rng, K * N), C = data(be, rng, M * N), want = Float32Array.from(C), bound = C.map(Math.abs);
            ref.spmm(A, N, B, beta, want, op);
            ref.spmm(A, N, B.map(Math.abs), Math.abs(beta), bound, op);
            be.spmm(csrIn(be, A), N, B, beta, C, op);
            within(C, want, bound, `spmm ${M}x${K}x${N} ${op} beta=${beta} ${A === sorted ? 'sorted' : 'unsorted'} threads=${be.threads}`);
          }
        }
      }
    }
  }
});

test('spmmT (CSC path) at LDVAE-like sizes: within the bound of the reference; spmm and spmmT bitwise equal on 1 and 2 threads', () => {
  const rng = new Rng(42);
  for (const [M, K, N] of [[130, 3000, 128], [7, 700, 1024]] as const) {
    const A = randCsr(rng, M, K, 0.08);
    const D = Float32Array.from({ length: M * N }, () => rng.uniform() * 2 - 1);
    const E0 = Float32Array.from({ length: K * N }, () => rng.uniform() * 2 - 1);
    const Bm = Float32Array.from({ length: K * N }, () => rng.uniform() * 2 - 1);
    const outs: Float32Array[][] = [];
    for (const be of [eng.w1, eng.w2]) {
      const want = Float32Array.from(E0), bound = E0.map(Math.abs);
      ref.spmmT(A, N, D, 0.5, want, 'log1p');
      ref.spmmT(A, N, D.map(Math.abs), 0.5, bound, 'log1p');
      const d = be.allocF32(M * N), e = be.allocF32(K * N), b = be.allocF32(K * N), c = be.allocF32(M * N);
      d.set(D);
      e.set(E0);
      b.set(Bm);
      const Ab = csrIn(be, A);
      be.spmmT(Ab, N, d, 0.5, e, 'log1p');
      within(e, want, bound, `spmmT ${M}x${K}x${N} threads=${be.threads}`);
      be.spmm(Ab, N, b, 0, c, 'log1p');
      outs.push([Float32Array.from(e), Float32Array.from(c)]);
    }
    bitEqual(outs[0][0], outs[1][0], `spmmT ${M}x${K}x${N} 1 vs 2 threads`);
    bitEqual(outs[0][1], outs[1][1], `spmm ${M}x${K}x${N} 1 vs 2 threads`);
  }
});

test('transposeCsr: the CSC of A on 1 and 2 threads equals the reference bitwise, keeps row order, and spmm(A^T) == spmmT(A)', () => {
  const rng = new Rng(43);
  for (const [M, K] of [[400, 3000], [7, 700], [1, 50]] as const) { // 400 x 3000: two shares on 2 threads
    const A = randCsr(rng, M, K, 0.08);
    const nnz = A.indptr[M];
    const want = ref.transposeCsr(A, new Int32Array(K + 1), new Int32Array(nnz), new Float32Array(nnz));
    // by hand: column k lists the rows holding k, in increasing row order
    for (let k = 0; k < K; k++) {
      const rows: number[] = [];
      for (let i = 0; i < M; i++) for (let p = A.indptr[i]; p < A.indptr[i + 1]; p++) if (A.indices[p] === k) rows.push(i);
      assert.deepEqual([...want.indices.subarray(want.indptr[k], want.indptr[k + 1])], rows, `column ${k}`);
    }
    for (const be of [eng.w1, eng.w2]) {
      const At = be.transposeCsr(csrIn(be, A), be.allocI32(K + 1), be.allocI32(nnz), be.allocF32(nnz));
      assert.deepEqual([...At.indptr], [...want.indptr], `indptr ${M}x${K} threads=${be.threads}`);
      assert.deepEqual([...At.indices], [...want.indices], `indices ${M}x${K} threads=${be.threads}`);
      bitEqual(At.values, want.values, `values ${M}x${K} threads=${be.threads}`);
      const N = 128;
      const D = data(be, rng, M * N), viaT = be.allocF32(K * N), direct = be.allocF32(K * N);
      be.spmm(At, N, D, 0, viaT);
      be.spmmT(csrIn(be, A), N, D, 0, direct);
      bitEqual(viaT, direct, `spmm(A^T) vs spmmT(A) ${M}x${K} threads=${be.threads}`);
    }
  }
});

test('spmmAdam: bitwise equal to spmm then adamStep (Adam and AdamW), on the reference and WASM at 1 and 2 threads', () => {
  const rng = new Rng(44);
  const [M, K, N] = [3000, 130, 128]; // A = X^T: genes x cells
  const A = randCsr(rng, M, K, 0.08);
  const f32 = (lo: number, hi: number, n: number) => Float32Array.from(randArray(rng, n, lo, hi));
  const D0 = f32(-1, 1, K * N), P0 = f32(-1, 1, M * N), M0 = f32(-0.1, 0.1, M * N), V0 = f32(0, 0.01, M * N);
  for (const be of [ref, eng.w1, eng.w2]) {
    for (const decoupled of [false, true]) {
      const Ab = csrIn(be, A), D = copyTo(be, D0);
      const [p1, m1, v1, p2, m2, v2] = [P0, M0, V0, P0, M0, V0].map((a) => copyTo(be, a));
      const g1 = be.allocF32(M * N), g2 = be.allocF32(M * N);
      be.spmm(Ab, N, D, 0, g1);
      be.adamStep(M * N, p1, g1, m1, v1, 5e-3, 0.9, 0.999, 0.01, 1e-6, decoupled, 7);
      be.spmmAdam(Ab, N, D, p2, m2, v2, 5e-3, 0.9, 0.999, 0.01, 1e-6, decoupled, 7, g2);
      const what = `${be.name} x${be.threads} decoupled=${decoupled}`;
      bitEqual(g2, g1, `grad ${what}`);
      bitEqual(p2, p1, `param ${what}`);
      bitEqual(m2, m1, `m ${what}`);
      bitEqual(v2, v1, `v ${what}`);
      assert.ok(p1.some((x, i) => x !== P0[i]), 'the step moved the parameters');
    }
  }
});
