/**
 * Every WASM kernel against the reference backend on seeded random inputs with odd shapes
 * (1x1, primes, non-multiples of the 4x8 tile and of KC/NC, empty), plus thread-count determinism,
 * arena behaviour and the no-T x T property of attention. Tolerances are stated per kernel.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { Rng } from '../../../src/data/rng.js';
import type { Backend, CsrView, UnaryOp } from '../../../src/engine/backend.js';
import { createWasmBackend, referenceBackend, type WasmBackend } from '../../../src/engine/backends/index.js';
import { assertClose, randArray, randCsr, specialTables } from '../helpers.js';

const ref = referenceBackend();
let w2: WasmBackend; // 2 threads
let w1: WasmBackend; // 1 thread
before(async () => {
  w2 = await createWasmBackend({ threads: 2 });
  w1 = await createWasmBackend({ threads: 1 });
});
after(async () => {
  await w2.close();
  await w1.close();
});

/** Seeded Float32 data inside the backend's memory (and a plain copy for the reference). */
function data(be: Backend, rng: Rng, n: number, lo = -1, hi = 1): Float32Array {
  const a = be.allocF32(n);
  a.set(randArray(rng, n, lo, hi));
  return a;
}
function copyTo(be: Backend, src: Float32Array): Float32Array {
  const a = be.allocF32(src.length);
  a.set(src);
  return a;
}
function csrIn(be: Backend, A: CsrView): CsrView {
  const indptr = be.allocI32(A.indptr.length), indices = be.allocI32(A.indices.length), values = be.allocF32(A.values.length);
  indptr.set(A.indptr);
  indices.set(A.indices);
  values.set(A.values);
  return { nRows: A.nRows, nCols: A.nCols, indptr, indices, values };
}
/** |got - want| <= 2e-6 * bound elementwise (bound = the same product on absolute values). */
function within(got: Float32Array, want: Float32Array, bound: Float32Array, what: string): void {
  for (let i = 0; i < want.length; i++) {
    assert.ok(Math.abs(got[i] - want[i]) <= 2e-6 * bound[i] + 1e-30, `${what} @${i}: ${got[i]} vs ${want[i]} (bound ${bound[i]})`);
  }
}
const bitEqual = (a: Float32Array, b: Float32Array, what: string) =>
  assert.ok(Buffer.compare(Buffer.from(a.buffer, a.byteOffset, a.byteLength), Buffer.from(b.buffer, b.byteOffset, b.byteLength)) === 0, `${what}: not bitwise equal`);

test('backend reports its build and threads', () => {
  assert.match(w2.name, /^wasm-(relaxed-)?simd$/);
  assert.equal(w2.threads, 2);
  assert.equal(w1.threads, 1);
});

test('gemm: all transposes, odd shapes, alpha/beta, K across KC and N across NC; error <= 2e-6 * sum|a*b|', () => {
  const rng = new Rng(1);
  const shapes: [number, number, number][] = [[1, 1, 1], [7, 13, 17], [4, 8, 256], [33, 65, 300], [5, 261, 3], [130, 9, 513], [0, 5, 3], [3, 4, 0], [2, 0, 5]];
  for (const [M, N, K] of shapes) {
    for (const [ta, tb] of [[false, false], [true, false], [false, true], [true, true]] as const) {
      for (const [alpha, beta] of [[1, 0], [0.5, 1], [-2, 0.25]]) {
        for (const be of [w1, w2]) {
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
  w2.gemm(false, false, 6, 7, 5, 1, A, B, 0, C);
  const C2 = w2.allocF32(42);
  w2.gemm(false, false, 6, 7, 5, 1, copyTo(w2, A), copyTo(w2, B), 0, C2);
  bitEqual(C, C2, 'foreign vs owned');
});

test('spmm / spmmT (identity, log1p; beta 0, 1, 0.5), owned and foreign CSR: rel 2e-6', () => {
  const rng = new Rng(3);
  for (const [M, K, N] of [[1, 1, 1], [7, 13, 5], [31, 300, 19], [64, 97, 128], [3, 5, 0]]) {
    const A = randCsr(rng, M, K, 0.2);
    for (const be of [w1, w2]) {
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

const DOMAIN: Record<UnaryOp, [number, number]> = {
  exp: [-100, 88], log: [1e-30, 1e30], log1p: [-0.999, 1e6], expm1: [-20, 20], sqrt: [0, 1e6], rsqrt: [1e-6, 1e6], neg: [-5, 5],
  abs: [-5, 5], square: [-100, 100], sigmoid: [-50, 50], softplus: [-50, 50], tanh: [-12, 12], relu: [-5, 5], gelu: [-5, 8],
  lgamma: [1e-3, 1e4], digamma: [1e-3, 1e4],
};

test('unary ops: rel 1e-6 (2e-6 for gelu / expm1 near 0) over their domains, odd lengths', () => {
  const rng = new Rng(4);
  for (const [op, [lo, hi]] of Object.entries(DOMAIN) as [UnaryOp, [number, number]][]) {
    for (const n of [1, 7, 1001]) {
      const logScale = op === 'log' || op === 'rsqrt' || op === 'sqrt' || op === 'lgamma' || op === 'digamma';
      const raw = randArray(rng, n, logScale ? Math.log(Math.max(lo, 1e-30)) : lo, logScale ? Math.log(hi) : hi);
      const x = w2.allocF32(n);
      x.set(logScale ? raw.map(Math.exp) : raw);
      const want = new Float32Array(n);
      ref.unary(op, n, x, want);
      const out = w2.allocF32(n);
      w2.unary(op, n, x, out);
      // lgamma/digamma have zeros near 1.46, 2 and 1: absolute slack of 1e-6 there.
      const atol = op === 'lgamma' || op === 'digamma' ? 1e-6 : 1e-37;
      assertClose(out, want, op === 'gelu' || op === 'expm1' ? 2e-6 : 1e-6, atol, `${op} n=${n}`);
      w2.free(x);
      w2.free(out);
    }
  }
  // special values
  const sv = w2.allocF32(5);
  sv.set([0, -1, Infinity, NaN, -0.5]);
  const o = w2.allocF32(5);
  w2.unary('log', 5, sv, o);
  assert.deepEqual([...o].map(String), ['-Infinity', 'NaN', 'Infinity', 'NaN', 'NaN']);
  w2.unary('log1p', 5, sv, o);
  assert.deepEqual([...o].slice(0, 4).map(String), ['0', '-Infinity', 'Infinity', 'NaN']);
  w2.unary('exp', 5, sv, o);
  assert.deepEqual([...o].slice(0, 4).map(String), ['1', String(Math.fround(Math.exp(-1))), 'Infinity', 'NaN']);
});

test('lgamma / digamma kernels against the scipy table: rel 1e-6', () => {
  const t = specialTables();
  for (const op of ['lgamma', 'digamma'] as const) {
    const rows = t[op];
    const x = w2.allocF32(rows.length), out = w2.allocF32(rows.length);
    x.set(rows.map((r) => r[0]));
    w2.unary(op, rows.length, x, out);
    assertClose(out, rows.map((r) => r[1]), 1e-6, 1e-7, op);
  }
  const rows = t.gelu;
  const x = w2.allocF32(rows.length), out = w2.allocF32(rows.length);
  x.set(rows.map((r) => r[0]));
  w2.unary('gelu', rows.length, x, out);
  assertClose(out, rows.map((r) => r[1]), 1e-5, 1e-30, 'gelu vs scipy (tails to x = -8)');
});

test('unaryBackward for every op: rel 2e-6', () => {
  const rng = new Rng(5);
  for (const [op, [lo, hi]] of Object.entries(DOMAIN) as [UnaryOp, [number, number]][]) {
    const n = 203;
    const l = op === 'log' || op === 'rsqrt' || op === 'sqrt' ? 0.01 : op === 'lgamma' || op === 'digamma' ? 0.05 : Math.max(lo, -30);
    const x = data(w2, rng, n, l, Math.min(hi, 30)), dy = data(w2, rng, n);
    const want = new Float32Array(n);
    ref.unaryBackward(op, n, x, dy, want);
    const dx = w2.allocF32(n);
    w2.unaryBackward(op, n, x, dy, dx);
    // gelu' has a root near x = -0.75 where Phi(x) + x phi(x) cancels: absolute 1e-7 there.
    assertClose(dx, want, 2e-6, op === 'gelu' ? 1e-7 : 1e-30, `d ${op}`);
  }
});

test('binary, axpby (in place), fill, addRowVector, sumRows, sum, sumSquares', () => {
  const rng = new Rng(6);
  const n = 1003;
  const a = data(w2, rng, n), b = data(w2, rng, n, 0.5, 2);
  for (const op of ['add', 'sub', 'mul', 'div', 'max', 'min'] as const) {
    const want = new Float32Array(n), out = w2.allocF32(n);
    ref.binary(op, n, a, b, want);
    w2.binary(op, n, a, b, out);
    bitEqual(out, want, op);
  }
  const y = Float32Array.from(b), yw = copyTo(w2, b);
  ref.axpby(n, 0.3, a, -1.7, y, y);
  w2.axpby(n, 0.3, a, -1.7, yw, yw);
  assertClose(yw, y, 1e-6, 1e-7, 'axpby');
  w2.fill(n - 2, 3.5, yw);
  assert.equal(yw[n - 3], 3.5);
  assert.equal(yw[n - 1], y[n - 1]);
  for (const [M, N] of [[1, 1], [13, 7], [129, 33], [0, 4]]) {
    const X = data(w2, rng, M * N), bias = data(w2, rng, N), Xr = Float32Array.from(X);
    ref.addRowVector(M, N, Xr, bias);
    w2.addRowVector(M, N, X, bias);
    bitEqual(X, Xr, 'addRowVector');
    const o = data(w2, rng, N), or = Float32Array.from(o);
    ref.sumRows(M, N, X, 0.5, or);
    w2.sumRows(M, N, X, 0.5, o);
    assertClose(o, or, 1e-7, 1e-7, 'sumRows');
  }
  const big = data(w2, rng, 100003);
  assertClose([w2.sum(100003, big)], [ref.sum(100003, big)], 1e-12, 1e-9, 'sum');
  assertClose([w2.sumSquares(100003, big)], [ref.sumSquares(100003, big)], 1e-12, 1e-9, 'sumSquares');
  assert.equal(w2.sum(0, big), 0);
});

test('dropout is bit-identical to the reference (same hashUniform stream), in place too', () => {
  const rng = new Rng(7);
  const n = 4099;
  const x = data(w2, rng, n), out = w2.allocF32(n), mask = w2.allocF32(n);
  const wo = new Float32Array(n), wm = new Float32Array(n);
  ref.dropout(n, 0.1, 1234, 77777, x, wo, wm);
  w2.dropout(n, 0.1, 1234, 77777, x, out, mask);
  bitEqual(out, wo, 'dropout out');
  bitEqual(mask, wm, 'dropout mask');
  w2.dropout(n, 0.1, 1234, 77777, x, x);
  bitEqual(x, wo, 'dropout in place');
});

test('batchNorm / layerNorm forward and backward: rel 1e-5', () => {
  const rng = new Rng(8);
  for (const [M, N] of [[2, 1], [7, 13], [128, 37]]) {
    const x = data(w2, rng, M * N, -3, 3), gamma = data(w2, rng, N, 0.5, 1.5), beta = data(w2, rng, N), dy = data(w2, rng, M * N);
    const rOut = new Float32Array(M * N), rMean = new Float32Array(N), rInv = new Float32Array(N);
    ref.batchNormForward(M, N, x, gamma, beta, 1e-3, rOut, rMean, rInv);
    const out = w2.allocF32(M * N), mean = w2.allocF32(N), inv = w2.allocF32(N);
    w2.batchNormForward(M, N, x, gamma, beta, 1e-3, out, mean, inv);
    assertClose(out, rOut, 1e-5, 1e-6, 'bn out');
    assertClose(mean, rMean, 1e-6, 1e-7, 'bn mean');
    assertClose(inv, rInv, 1e-6, 0, 'bn invStd');
    const rdx = new Float32Array(M * N), rdg = new Float32Array(N).fill(1), rdb = new Float32Array(N).fill(1);
    ref.batchNormBackward(M, N, x, dy, gamma, rMean, rInv, rdx, rdg, rdb);
    const dx = w2.allocF32(M * N), dg = w2.allocF32(N), db = w2.allocF32(N);
    w2.fill(N, 1, dg);
    w2.fill(N, 1, db);
    w2.batchNormBackward(M, N, x, dy, gamma, mean, inv, dx, dg, db);
    assertClose(dx, rdx, 1e-5, 1e-6, 'bn dx');
    assertClose(dg, rdg, 1e-5, 1e-6, 'bn dgamma');
    assertClose(db, rdb, 1e-6, 1e-6, 'bn dbeta');
    const rv = data(w2, rng, N, 0.5, 2);
    ref.batchNormInference(M, N, x, gamma, beta, rMean, rv, 1e-3, rOut);
    w2.batchNormInference(M, N, x, gamma, beta, rMean, rv, 1e-3, out);
    assertClose(out, rOut, 1e-6, 1e-6, 'bn eval');

    const lOut = new Float32Array(M * N), lMean = new Float32Array(M), lInv = new Float32Array(M);
    ref.layerNormForward(M, N, x, gamma, beta, 1e-12, lOut, lMean, lInv);
    const lo = w2.allocF32(M * N), lm = w2.allocF32(M), li = w2.allocF32(M);
    w2.layerNormForward(M, N, x, gamma, beta, 1e-12, lo, lm, li);
    assertClose(lo, lOut, 1e-5, 1e-6, 'ln out');
    const ldx = new Float32Array(M * N), ldg = new Float32Array(N), ldb = new Float32Array(N);
    ref.layerNormBackward(M, N, x, dy, gamma, lMean, lInv, ldx, ldg, ldb);
    const gdx = w2.allocF32(M * N), gdg = w2.allocF32(N), gdb = w2.allocF32(N);
    w2.layerNormBackward(M, N, x, dy, gamma, lm, li, gdx, gdg, gdb);
    assertClose(gdx, ldx, 1e-5, 1e-5, 'ln dx');
    assertClose(gdg, ldg, 1e-5, 1e-6, 'ln dgamma');
    assertClose(gdb, ldb, 1e-6, 1e-6, 'ln dbeta');
  }
});

test('softmax, logSoftmax, softmax backward, crossEntropy (ignored rows): rel 2e-6', () => {
  const rng = new Rng(9);
  for (const [M, N] of [[1, 1], [5, 7], [33, 1001]]) {
    const x = data(w2, rng, M * N, -10, 10), dy = data(w2, rng, M * N);
    const r = new Float32Array(M * N), o = w2.allocF32(M * N);
    ref.softmaxRows(M, N, x, r);
    w2.softmaxRows(M, N, x, o);
    assertClose(o, r, 2e-6, 1e-12, 'softmax');
    ref.logSoftmaxRows(M, N, x, r);
    w2.logSoftmaxRows(M, N, x, o);
    assertClose(o, r, 2e-6, 2e-6, 'logSoftmax');
    const y = w2.allocF32(M * N);
    w2.softmaxRows(M, N, x, y);
    ref.softmaxRowsBackward(M, N, y, dy, r);
    w2.softmaxRowsBackward(M, N, y, dy, o);
    assertClose(o, r, 2e-6, 1e-9, 'softmax backward');
    const targets = w2.allocI32(M);
    for (let i = 0; i < M; i++) targets[i] = i % 3 === 1 ? -1 : rng.int(N);
    const lr = ref.crossEntropyRows(M, N, x, targets, 0.25, r);
    const lw = w2.crossEntropyRows(M, N, x, targets, 0.25, o);
    assertClose([lw], [lr], 2e-6, 0, 'CE loss');
    assertClose(o, r, 2e-6, 1e-9, 'CE dlogits');
  }
  const bad = w2.allocI32(1);
  bad[0] = 9;
  assert.throws(() => w2.crossEntropyRows(1, 3, w2.allocF32(3), bad, 1, w2.allocF32(3)), /target 9/);
});

test('gatherRows / scatterAddRows with repeated ids', () => {
  const rng = new Rng(10);
  const D = 37, rows = 11, n = 29;
  const table = data(w2, rng, rows * D), ids = w2.allocI32(n);
  for (let i = 0; i < n; i++) ids[i] = rng.int(rows);
  const o = w2.allocF32(n * D), r = new Float32Array(n * D);
  ref.gatherRows(n, D, table, ids, r);
  w2.gatherRows(n, D, table, ids, o);
  bitEqual(o, r, 'gather');
  const dout = data(w2, rng, n * D), dt = data(w2, rng, rows * D), rt = Float32Array.from(dt);
  ref.scatterAddRows(n, D, dout, ids, rt);
  w2.scatterAddRows(n, D, dout, ids, dt);
  assertClose(dt, rt, 1e-6, 1e-6, 'scatterAdd');
  ids[3] = rows;
  assert.throws(() => w2.gatherRows(n, D, table, ids, o), /id 11 at 3/);
});

test('attention forward/backward vs reference (odd T, padding, Dh % 4 != 0): rel 1e-5', () => {
  const rng = new Rng(11);
  for (const [B, T, H, Dh, lens] of [[1, 1, 1, 4, [1]], [2, 37, 2, 8, [37, 20]], [2, 70, 3, 5, [3, 70]], [1, 6, 1, 4, [0]]] as [number, number, number, number, number[]][]) {
    const n = B * T * H * Dh, scale = 1 / Math.sqrt(Dh);
    const q = data(w2, rng, n, -2, 2), k = data(w2, rng, n, -2, 2), v = data(w2, rng, n), dout = data(w2, rng, n);
    const lengths = w2.allocI32(B);
    lengths.set(lens);
    const ro = new Float32Array(n), rl = new Float32Array(B * H * T);
    ref.attentionForward(B, T, H, Dh, q, k, v, lengths, scale, ro, rl);
    const out = w2.allocF32(n), lse = w2.allocF32(B * H * T);
    w2.attentionForward(B, T, H, Dh, q, k, v, lengths, scale, out, lse);
    assertClose(out, ro, 1e-5, 1e-6, `attn out ${B}x${T}x${H}x${Dh}`);
    assertClose(lse, rl, 1e-6, 1e-6, 'attn lse');
    const rq = new Float32Array(n), rk = new Float32Array(n), rv = new Float32Array(n);
    ref.attentionBackward(B, T, H, Dh, q, k, v, lengths, scale, ro, rl, dout, rq, rk, rv);
    const dq = data(w2, rng, n), dk = data(w2, rng, n), dv = data(w2, rng, n); // garbage: must be overwritten
    w2.attentionBackward(B, T, H, Dh, q, k, v, lengths, scale, out, lse, dout, dq, dk, dv);
    assertClose(dq, rq, 1e-4, 1e-5, 'attn dq');
    assertClose(dk, rk, 1e-4, 1e-5, 'attn dk');
    assertClose(dv, rv, 1e-5, 1e-6, 'attn dv');
  }
});

test('attention with T = 2048 allocates no T x T buffer (memoryStats peak)', () => {
  const B = 1, T = 2048, H = 1, Dh = 16, n = B * T * H * Dh;
  const rng = new Rng(12);
  const q = data(w2, rng, n), k = data(w2, rng, n), v = data(w2, rng, n), dout = data(w2, rng, n);
  const lengths = w2.allocI32(1);
  lengths[0] = T;
  const out = w2.allocF32(n), lse = w2.allocF32(T), dq = w2.allocF32(n), dk = w2.allocF32(n), dv = w2.allocF32(n);
  const before = w2.memoryStats();
  w2.attentionForward(B, T, H, Dh, q, k, v, lengths, 0.25, out, lse);
  w2.attentionBackward(B, T, H, Dh, q, k, v, lengths, 0.25, out, lse, dout, dq, dk, dv);
  const afterStats = w2.memoryStats();
  const grew = afterStats.peakBytes - before.allocatedBytes;
  assert.ok(grew < (T * T * 4) / 16, `attention used ${grew} extra bytes; a T x T float32 matrix is ${T * T * 4}`);
  // spot-check the first rows against the reference
  const ro = new Float32Array(n), rl = new Float32Array(T);
  ref.attentionForward(B, T, H, Dh, q, k, v, lengths, 0.25, ro, rl);
  assertClose(out, ro, 1e-5, 1e-6, 'T=2048 out');
});

test('nbLossRows vs reference (with and without gradients, rhoOut): rel 2e-5', () => {
  const rng = new Rng(13);
  for (const [B, G] of [[1, 1], [5, 203], [17, 1000]]) {
    const x = randCsr(rng, B, G, 0.1, 50);
    const logits = data(w2, rng, B * G, -3, 3), logLib = data(w2, rng, B, 5, 9), pxR = data(w2, rng, G, -2, 3);
    const rr = new Float32Array(B), rdl = new Float32Array(B * G), rdll = new Float32Array(B), rdp = new Float32Array(G).fill(0.5), rrho = new Float32Array(B * G);
    ref.nbLossRows(B, G, logits, logLib, pxR, x, 0.3, rr, rdl, rdll, rdp, rrho);
    const rec = w2.allocF32(B), dl = w2.allocF32(B * G), dll = w2.allocF32(B), dp = w2.allocF32(G), rho = w2.allocF32(B * G);
    w2.fill(G, 0.5, dp);
    w2.nbLossRows(B, G, logits, logLib, pxR, csrIn(w2, x), 0.3, rec, dl, dll, dp, rho);
    assertClose(rec, rr, 2e-5, 1e-4, `rec ${B}x${G}`);
    assertClose(rho, rrho, 2e-6, 1e-12, 'rho');
    let scale = 0;
    for (const v of rdl) scale = Math.max(scale, Math.abs(v));
    assertClose(dl, rdl, 1e-4, 1e-5 * scale, 'dLogits');
    assertClose(dll, rdll, 1e-4, 1e-4, 'dLogLib');
    assertClose(dp, rdp, 1e-4, 1e-4, 'dPxR');
    const rec2 = w2.allocF32(B);
    w2.nbLossRows(B, G, logits, logLib, pxR, x, 0, rec2, null, null, null);
    assertClose(rec2, rr, 2e-5, 1e-4, 'rec without gradients (foreign CSR)');
  }
});

test('adamStep (Adam L2 and AdamW) vs reference: rel 1e-6', () => {
  const rng = new Rng(14);
  const n = 1001;
  for (const decoupled of [false, true]) {
    const p = data(w2, rng, n), m = w2.allocF32(n), v = w2.allocF32(n);
    const rp = Float32Array.from(p), rm = new Float32Array(n), rv = new Float32Array(n);
    for (let step = 1; step <= 3; step++) {
      const g = data(w2, rng, n);
      ref.adamStep(n, rp, g, rm, rv, 1e-3, 0.9, 0.999, 1e-8, 0.01, decoupled, step);
      w2.adamStep(n, p, g, m, v, 1e-3, 0.9, 0.999, 1e-8, 0.01, decoupled, step);
    }
    assertClose(p, rp, 1e-6, 1e-7, `adam decoupled=${decoupled}`);
    assertClose(m, rm, 1e-6, 5e-8, 'm (terms ~0.1 cancel: absolute 5e-8)');
    assertClose(v, rv, 2e-6, 1e-12, 'v');
  }
});

test('thread-count determinism: 1 vs 2 threads bitwise equal (dPxR of nbLossRows within 1e-6)', () => {
  const rng = new Rng(15);
  const M = 67, N = 129, K = 300;
  const A = Float32Array.from(randArray(rng, M * K)), B = Float32Array.from(randArray(rng, K * N));
  const run = (be: WasmBackend) => {
    const C = be.allocF32(M * N);
    be.gemm(false, true, M, N, K, 1, copyTo(be, A), copyTo(be, B), 0, C);
    const S = randCsr(new Rng(16), M, K, 0.1);
    const D = be.allocF32(M * N);
    be.spmm(S, N, copyTo(be, B.subarray(0, K * N)), 0, D, 'log1p');
    const E = be.allocF32(K * N);
    be.spmmT(S, N, D, 0, E);
    const U = be.allocF32(M * K);
    be.unary('gelu', M * K, copyTo(be, A), U);
    const s = be.sum(M * K, U);
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
  const a = run(w1), b = run(w2);
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
