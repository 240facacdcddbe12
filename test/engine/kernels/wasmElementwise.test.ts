/**
 * WASM kernels against the reference backend: elementwise kernels, special functions, dropout, reductions and Adam.
 * Seeded random inputs with odd shapes (1x1, primes, non-multiples of the 4x8 tile and of
 * KC/NC, empty); tolerances are stated per test.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Rng } from '../../../src/data/rng.js';
import type { UnaryOp } from '../../../src/engine/backend.js';
import { assertClose, randArray, specialTables } from '../helpers.js';
import { bitEqual, copyTo, data, ref, useBackends } from './wasmSetup.js';

const eng = useBackends();

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
      const x = eng.w2.allocF32(n);
      x.set(logScale ? raw.map(Math.exp) : raw);
      const want = new Float32Array(n);
      ref.unary(op, n, x, want);
      const out = eng.w2.allocF32(n);
      eng.w2.unary(op, n, x, out);
      // lgamma/digamma have zeros near 1.46, 2 and 1: absolute slack of 1e-6 there.
      const atol = op === 'lgamma' || op === 'digamma' ? 1e-6 : 1e-37;
      assertClose(out, want, op === 'gelu' || op === 'expm1' ? 2e-6 : 1e-6, atol, `${op} n=${n}`);
      eng.w2.free(x);
      eng.w2.free(out);
    }
  }
  // special values
  const sv = eng.w2.allocF32(5);
  sv.set([0, -1, Infinity, NaN, -0.5]);
  const o = eng.w2.allocF32(5);
  eng.w2.unary('log', 5, sv, o);
  assert.deepEqual([...o].map(String), ['-Infinity', 'NaN', 'Infinity', 'NaN', 'NaN']);
  eng.w2.unary('log1p', 5, sv, o);
  assert.deepEqual([...o].slice(0, 4).map(String), ['0', '-Infinity', 'Infinity', 'NaN']);
  eng.w2.unary('exp', 5, sv, o);
  assert.deepEqual([...o].slice(0, 4).map(String), ['1', String(Math.fround(Math.exp(-1))), 'Infinity', 'NaN']);
  // denormal inputs of log / log1p, and exp's documented flush below -86.5
  sv.set([1e-40, 3e-45, -Infinity, -90, 1e-39]);
  eng.w2.unary('log', 5, sv, o);
  assertClose([o[0], o[1], o[4]], [Math.log(Math.fround(1e-40)), Math.log(Math.fround(3e-45)), Math.log(Math.fround(1e-39))], 1e-6, 0, 'log of denormals');
  eng.w2.unary('log1p', 5, sv, o);
  assert.equal(o[0], Math.fround(1e-40));
  eng.w2.unary('exp', 5, sv, o);
  assert.deepEqual([o[2], o[3]], [0, 0]);
});

test('lgamma / digamma kernels against the scipy table: rel 1e-6', () => {
  const t = specialTables();
  for (const op of ['lgamma', 'digamma'] as const) {
    const rows = t[op];
    const x = eng.w2.allocF32(rows.length), out = eng.w2.allocF32(rows.length);
    x.set(rows.map((r) => r[0]));
    eng.w2.unary(op, rows.length, x, out);
    assertClose(out, rows.map((r) => r[1]), 1e-6, 1e-7, op);
  }
  const rows = t.gelu;
  const x = eng.w2.allocF32(rows.length), out = eng.w2.allocF32(rows.length);
  x.set(rows.map((r) => r[0]));
  eng.w2.unary('gelu', rows.length, x, out);
  assertClose(out, rows.map((r) => r[1]), 1e-5, 1e-30, 'gelu vs scipy (tails to x = -8)');
});

test('unaryBackward for every op: rel 2e-6', () => {
  const rng = new Rng(5);
  for (const [op, [lo, hi]] of Object.entries(DOMAIN) as [UnaryOp, [number, number]][]) {
    const n = 203;
    const l = op === 'log' || op === 'rsqrt' || op === 'sqrt' ? 0.01 : op === 'lgamma' || op === 'digamma' ? 0.05 : Math.max(lo, -30);
    const x = data(eng.w2, rng, n, l, Math.min(hi, 30)), dy = data(eng.w2, rng, n);
    const want = new Float32Array(n);
    ref.unaryBackward(op, n, x, dy, want);
    const dx = eng.w2.allocF32(n);
    eng.w2.unaryBackward(op, n, x, dy, dx);
    // gelu' has a root near x = -0.75 where Phi(x) + x phi(x) cancels: absolute 1e-7 there.
    assertClose(dx, want, 2e-6, op === 'gelu' ? 1e-7 : 1e-30, `d ${op}`);
  }
});

test('binary, axpby (in place), fill, addRowVector, sumRows, sum, sumSquares', () => {
  const rng = new Rng(6);
  const n = 1003;
  const a = data(eng.w2, rng, n), b = data(eng.w2, rng, n, 0.5, 2);
  for (const op of ['add', 'sub', 'mul', 'div', 'max', 'min'] as const) {
    const want = new Float32Array(n), out = eng.w2.allocF32(n);
    ref.binary(op, n, a, b, want);
    eng.w2.binary(op, n, a, b, out);
    bitEqual(out, want, op);
  }
  const y = Float32Array.from(b), yw = copyTo(eng.w2, b);
  ref.axpby(n, 0.3, a, -1.7, y, y);
  eng.w2.axpby(n, 0.3, a, -1.7, yw, yw);
  assertClose(yw, y, 1e-6, 1e-7, 'axpby');
  eng.w2.fill(n - 2, 3.5, yw);
  assert.equal(yw[n - 3], 3.5);
  assert.equal(yw[n - 1], y[n - 1]);
  for (const [M, N] of [[1, 1], [13, 7], [129, 33], [0, 4]]) {
    const X = data(eng.w2, rng, M * N), bias = data(eng.w2, rng, N), Xr = Float32Array.from(X);
    ref.addRowVector(M, N, Xr, bias);
    eng.w2.addRowVector(M, N, X, bias);
    bitEqual(X, Xr, 'addRowVector');
    const o = data(eng.w2, rng, N), or = Float32Array.from(o);
    ref.sumRows(M, N, X, 0.5, or);
    eng.w2.sumRows(M, N, X, 0.5, o);
    assertClose(o, or, 1e-7, 1e-7, 'sumRows');
  }
  const big = data(eng.w2, rng, 100003);
  assertClose([eng.w2.sum(100003, big)], [ref.sum(100003, big)], 1e-12, 1e-9, 'sum');
  assertClose([eng.w2.sumSquares(100003, big)], [ref.sumSquares(100003, big)], 1e-12, 1e-9, 'sumSquares');
  assert.equal(eng.w2.sum(0, big), 0);
});

test('dropout is bit-identical to the reference (same hashUniform stream), in place too', () => {
  const rng = new Rng(7);
  const n = 4099;
  const x = data(eng.w2, rng, n), out = eng.w2.allocF32(n), mask = eng.w2.allocF32(n);
  const wo = new Float32Array(n), wm = new Float32Array(n);
  ref.dropout(n, 0.1, 1234, 77777, x, wo, wm);
  eng.w2.dropout(n, 0.1, 1234, 77777, x, out, mask);
  bitEqual(out, wo, 'dropout out');
  bitEqual(mask, wm, 'dropout mask');
  eng.w2.dropout(n, 0.1, 1234, 77777, x, x);
  bitEqual(x, wo, 'dropout in place');
});

test('adamStep (Adam L2 and AdamW) vs reference: rel 1e-6', () => {
  const rng = new Rng(14);
  const n = 1001;
  for (const decoupled of [false, true]) {
    const p = data(eng.w2, rng, n), m = eng.w2.allocF32(n), v = eng.w2.allocF32(n);
    const rp = Float32Array.from(p), rm = new Float32Array(n), rv = new Float32Array(n);
    for (let step = 1; step <= 3; step++) {
      const g = data(eng.w2, rng, n);
      ref.adamStep(n, rp, g, rm, rv, 1e-3, 0.9, 0.999, 1e-8, 0.01, decoupled, step);
      eng.w2.adamStep(n, p, g, m, v, 1e-3, 0.9, 0.999, 1e-8, 0.01, decoupled, step);
    }
    assertClose(p, rp, 1e-6, 1e-7, `adam decoupled=${decoupled}`);
    assertClose(m, rm, 1e-6, 5e-8, 'm (terms ~0.1 cancel: absolute 5e-8)');
    assertClose(v, rv, 2e-6, 1e-12, 'v');
  }
});


test('log1p of whole counts (the LDVAE encoder input) equals fround(Math.log1p) exactly, on 1 and 2 threads; other values take the polynomial', () => {
  const n = 70001; // splits over 2 threads; odd, so the scalar tail runs too
  const rng = new Rng(21);
  const x0 = Float32Array.from({ length: n }, (_, i) => (i % 97 === 0 ? rng.uniform() * 50 : i % 89 === 0 ? 5000 + rng.int(100) : rng.int(4096)));
  x0[3] = -0; // not a count: the polynomial keeps log1p(-0) = -0
  for (const be of [eng.w1, eng.w2]) {
    const x = copyTo(be, x0), out = be.allocF32(n);
    be.unary('log1p', n, x, out);
    for (let i = 0; i < n; i++) {
      const want = Math.fround(Math.log1p(x0[i]));
      if (Number.isInteger(x0[i]) && x0[i] < 4096 && !Object.is(x0[i], -0)) assert.equal(out[i], want, `log1p(${x0[i]}) threads=${be.threads}`);
      else assert.ok(Math.abs(out[i] - want) <= 1e-6 * Math.abs(want), `log1p(${x0[i]}) threads=${be.threads}: ${out[i]} vs ${want}`);
    }
    assert.ok(Object.is(out[3], -0), 'log1p(-0) = -0');
  }
});

test('adamSteps over a list of tensors is bitwise equal to adamStep per tensor (1 and 2 threads, shares crossing tensor ends)', () => {
  const rng = new Rng(22);
  const sizes = [1, 7, 128, 50001, 3, 40000]; // 90140 elements: the 2-thread split falls inside a tensor
  for (const be of [eng.w1, eng.w2]) {
    for (const decoupled of [false, true]) {
      const mk = () => sizes.map((n) => ({ param: data(be, rng, n), grad: data(be, rng, n), m: data(be, rng, n, -0.1, 0.1), v: data(be, rng, n, 0, 0.01) }));
      const a = mk();
      const b = a.map((t) => ({ param: copyTo(be, t.param), grad: copyTo(be, t.grad), m: copyTo(be, t.m), v: copyTo(be, t.v) }));
      for (const t of a) be.adamStep(t.param.length, t.param, t.grad, t.m, t.v, 1e-3, 0.9, 0.999, 1e-8, 0.01, decoupled, 5);
      be.adamSteps(b, 1e-3, 0.9, 0.999, 1e-8, 0.01, decoupled, 5);
      a.forEach((t, i) => {
        for (const k of ['param', 'm', 'v'] as const) bitEqual(b[i][k], t[k], `${k} of tensor ${i} threads=${be.threads} decoupled=${decoupled}`);
      });
    }
  }
});
