import { test } from 'node:test';
import assert from 'node:assert/strict';
import { referenceBackend } from '../../../src/engine/backends/index.js';
import {
  Tape, Tensor, parameter, gradcheck, matmul, linear, add, sub, mul, scale, addBias, unary, dropout,
  softmax, logSoftmax, crossEntropy, layerNorm, batchNorm, reshape, sliceRows, gatherRows, embedding,
  sum, mean, attention, attentionGemm,
} from '../../../src/engine/autograd/index.js';
import { Rng } from '../../../src/data/rng.js';

const be = referenceBackend();
const rng = new Rng(20261124);

function param(shape: number[], name: string, fill: (i: number) => number = () => rng.normal()): Tensor {
  const p = parameter((n) => be.allocF32(n), shape, name);
  for (let i = 0; i < p.size; i++) p.data[i] = fill(i);
  return p;
}

function check(name: string, fn: (t: Tape) => Tensor, inputs: Tensor[], opts: Parameters<typeof gradcheck>[3] = {}) {
  const r = gradcheck(be, fn, inputs, opts);
  assert.ok(r.ok, `${name}: max abs err ${r.maxAbsErr.toExponential(2)}, worst ${JSON.stringify(r.worst)}`);
  // the check must have compared real gradients, not zeros against zeros
  assert.ok(inputs.some((x) => x.grad!.some((g) => g !== 0)), `${name}: all analytic grads are zero`);
}

test('matmul: all four transpose combinations against finite differences', () => {
  for (const [tA, tB] of [[false, false], [true, false], [false, true], [true, true]] as const) {
    const a = param(tA ? [4, 3] : [3, 4], 'a');
    const b = param(tB ? [5, 4] : [4, 5], 'b');
    check(`matmul ${tA} ${tB}`, (t) => matmul(t, a, b, { transA: tA, transB: tB }), [a, b]);
  }
});

test('matmul: forward equals a hand-computed product', () => {
  const t = new Tape(be);
  const a = t.constant([1, 2, 3, 4, 5, 6], [2, 3]);
  const b = t.constant([7, 8, 9, 10, 11, 12], [3, 2]);
  assert.deepEqual([...matmul(t, a, b).data], [58, 64, 139, 154]);
  assert.deepEqual([...matmul(t, a, a, { transB: true }).data], [14, 32, 32, 77]);
  t.dispose();
});

test('linear (x Wᵀ + b, W stored [out, in])', () => {
  const x = param([3, 4], 'x');
  const w = param([5, 4], 'w');
  const b = param([5], 'b');
  check('linear', (t) => linear(t, x, w, b), [x, w, b]);
  const t = new Tape(be);
  const y = linear(t, x, w, b);
  let ref = b.data[2];
  for (let k = 0; k < 4; k++) ref += x.data[4 + k] * w.data[2 * 4 + k];
  assert.ok(Math.abs(y.data[1 * 5 + 2] - ref) < 1e-5);
  t.dispose();
});

test('add, sub, mul, scale, addBias', () => {
  const a = param([3, 4], 'a');
  const b = param([3, 4], 'b');
  const c = param([4], 'c');
  check('add', (t) => add(t, a, b), [a, b]);
  check('sub', (t) => sub(t, a, b), [a, b]);
  check('mul', (t) => mul(t, a, b), [a, b]);
  check('scale', (t) => scale(t, a, -2.5), [a]);
  check('addBias', (t) => addBias(t, a, c), [a, c]);
  // a tensor used twice: gradients must accumulate
  check('mul(a, a)', (t) => mul(t, a, a), [a]);
});

test('unary ops: relu, gelu, tanh, exp, sigmoid, softplus, log, sqrt, rsqrt, lgamma, square, expm1, neg, abs, log1p', () => {
  // keep relu inputs away from the kink at 0 (finite differences are wrong there)
  const x = param([2, 5], 'x', (i) => (i % 2 ? 1 : -1) * (0.2 + 0.1 * i));
  for (const op of ['relu', 'gelu', 'tanh', 'exp', 'sigmoid', 'softplus'] as const) check(op, (t) => unary(t, op, x), [x]);
  const pos = param([2, 5], 'pos', (i) => 0.5 + 0.3 * i);
  for (const op of ['log', 'sqrt', 'rsqrt', 'lgamma'] as const) check(op, (t) => unary(t, op, pos), [pos]);
  for (const op of ['square', 'expm1', 'neg', 'abs', 'log1p'] as const) check(op, (t) => unary(t, op, op === 'log1p' ? pos : x), [op === 'log1p' ? pos : x]);
  assert.throws(() => { const t = new Tape(be); unary(t, 'digamma', pos); }, /digamma/);
});

test('softmax, logSoftmax', () => {
  const x = param([3, 5], 'x');
  check('softmax', (t) => softmax(t, x), [x]);
  check('logSoftmax', (t) => logSoftmax(t, x), [x]);
});

test('crossEntropy at selected rows: value and gradient', () => {
  const x = param([4, 6], 'x');
  const targets = Int32Array.from([2, -1, 5, 0]);
  check('crossEntropy', (t) => crossEntropy(t, x, targets), [x]);
  // value against a float64 hand computation
  const t = new Tape(be);
  const l = crossEntropy(t, x, targets);
  let ref = 0;
  for (const r of [0, 2, 3]) {
    let m = -Infinity;
    for (let j = 0; j < 6; j++) m = Math.max(m, x.data[r * 6 + j]);
    let s = 0;
    for (let j = 0; j < 6; j++) s += Math.exp(x.data[r * 6 + j] - m);
    ref += m + Math.log(s) - x.data[r * 6 + targets[r]];
  }
  assert.ok(Math.abs(l.data[0] - ref / 3) < 1e-5, `${l.data[0]} vs ${ref / 3}`);
  t.dispose();
});

test('layerNorm and batchNorm (train and eval)', () => {
  const x = param([4, 6], 'x');
  const g = param([6], 'g', () => 1 + 0.3 * rng.normal());
  const b = param([6], 'b');
  check('layerNorm', (t) => layerNorm(t, x, g, b, 1e-5), [x, g, b], { rtol: 2e-2, atol: 2e-3 });
  check('batchNorm train', (t) => batchNorm(t, x, g, b, 1e-3), [x, g, b], { training: true, rtol: 2e-2, atol: 2e-3 });
  const state = { runningMean: Float32Array.from([0.1, -0.2, 0, 0.3, 0, 1]), runningVar: Float32Array.from([1, 2, 0.5, 1, 3, 1]), momentum: 0.01 };
  check('batchNorm eval', (t) => batchNorm(t, x, g, b, 1e-3, state), [x, g, b]);
});

test('batchNorm updates running statistics as torch (unbiased variance, momentum)', () => {
  const t = new Tape(be, { training: true });
  const x = t.constant([1, 10, 3, 20, 5, 30], [3, 2]);
  const g = t.constant([1, 1], [2]);
  const b = t.constant([0, 0], [2]);
  const state = { runningMean: new Float32Array(2), runningVar: Float32Array.from([1, 1]), momentum: 0.1 };
  batchNorm(t, x, g, b, 1e-3, state);
  // column 0: mean 3, unbiased var 4; column 1: mean 20, unbiased var 100
  assert.ok(Math.abs(state.runningMean[0] - 0.3) < 1e-6 && Math.abs(state.runningMean[1] - 2) < 1e-5);
  assert.ok(Math.abs(state.runningVar[0] - (0.9 + 0.4)) < 1e-4 && Math.abs(state.runningVar[1] - (0.9 + 10)) < 1e-3);
  t.dispose();
});

test('dropout: gradient through the same mask; identity in eval', () => {
  const x = param([5, 8], 'x');
  check('dropout', (t) => dropout(t, x, 0.3), [x], { training: true });
  const t = new Tape(be, { training: true, seed: 3 });
  const y = dropout(t, x, 0.5);
  let zeros = 0;
  for (let i = 0; i < y.size; i++) {
    if (y.data[i] === 0) zeros++;
    else assert.ok(Math.abs(y.data[i] - 2 * x.data[i]) < 1e-6);
  }
  assert.ok(zeros > 5 && zeros < 35, `zeros ${zeros} of 40`);
  t.dispose();
  const te = new Tape(be);
  assert.equal(dropout(te, x, 0.5), x);
});

test('reshape, sliceRows, gatherRows, embedding', () => {
  const x = param([4, 3], 'x');
  check('reshape', (t) => mul(t, reshape(t, x, [2, 6]), reshape(t, x, [2, 6])), [x]);
  check('sliceRows', (t) => scale(t, sliceRows(t, x, 1, 3), 3), [x]);
  const idx = Int32Array.from([3, 0, 3, 2]);
  check('gatherRows (repeated index accumulates)', (t) => gatherRows(t, x, idx), [x]);
  const table = param([7, 3], 'table');
  check('embedding', (t) => embedding(t, table, Int32Array.from([6, 1, 1, 0])), [table]);
  table.grad!.fill(0);
  const tp = new Tape(be);
  tp.backward(embedding(tp, table, Int32Array.from([0, 2, 0]), 0), new Float32Array(9).fill(1));
  assert.deepEqual([...table.grad!.subarray(0, 3)], [0, 0, 0]);
  assert.deepEqual([...table.grad!.subarray(6, 9)], [1, 1, 1]);
  tp.dispose();
  const t = new Tape(be);
  const e = embedding(t, table, Int32Array.from([6]));
  assert.deepEqual([...e.data], [...table.data.subarray(18, 21)]);
  assert.throws(() => gatherRows(t, x, Int32Array.from([4])), /outside/);
  t.dispose();
});

test('sum and mean', () => {
  const x = param([3, 4], 'x');
  check('sum', (t) => sum(t, x), [x]);
  check('mean', (t) => mean(t, x), [x]);
  const t = new Tape(be);
  let s = 0;
  for (const v of x.data) s += v;
  assert.ok(Math.abs(sum(t, x).data[0] - s) < 1e-5 && Math.abs(mean(t, x).data[0] - s / 12) < 1e-6);
  t.dispose();
});

test('attention with padding: gradients of q, k, v', () => {
  const B = 2, T = 4, H = 2, Dh = 3;
  const q = param([B, T, H * Dh], 'q', () => 0.7 * rng.normal());
  const k = param([B, T, H * Dh], 'k', () => 0.7 * rng.normal());
  const v = param([B, T, H * Dh], 'v');
  const lengths = Int32Array.from([4, 2]);
  check('attention', (t) => attention(t, q, k, v, { B, T, H, Dh }, lengths), [q, k, v]);
  // padded keys get no gradient
  for (let tk = 2; tk < T; tk++) for (let j = 0; j < H * Dh; j++) assert.equal(k.grad![(1 * T + tk) * H * Dh + j], 0);
});

test('attention forward equals a naive softmax(QKᵀ/√d)V', () => {
  const B = 1, T = 3, H = 1, Dh = 2;
  const t = new Tape(be);
  const q = t.constant([1, 0, 0, 1, 1, 1], [1, 3, 2]);
  const k = t.constant([1, 2, 0, 1, -1, 0], [1, 3, 2]);
  const v = t.constant([1, 2, 3, 4, 5, 6], [1, 3, 2]);
  const out = attention(t, q, k, v, { B, T, H, Dh }, Int32Array.from([2]));
  // query 0 = (1,0): scores over the 2 real keys = (1, 0)/√2
  const s0 = Math.exp(1 / Math.SQRT2), s1 = Math.exp(0);
  const o0 = (s0 * 1 + s1 * 3) / (s0 + s1);
  assert.ok(Math.abs(out.data[0] - o0) < 1e-5, `${out.data[0]} vs ${o0}`);
  t.dispose();
});

test('composite: a 2-layer MLP with LayerNorm and CE (the BERT building blocks together)', () => {
  const x = param([5, 4], 'x');
  const w1 = param([6, 4], 'w1', () => 0.5 * rng.normal());
  const b1 = param([6], 'b1');
  const g = param([6], 'g', () => 1);
  const bb = param([6], 'bb');
  const emb = param([7, 6], 'emb', () => 0.5 * rng.normal());
  const targets = Int32Array.from([1, -1, 6, 0, -1]);
  check('mlp', (t) => {
    const h = layerNorm(t, unary(t, 'gelu', linear(t, x, w1, b1)), g, bb, 1e-12);
    return crossEntropy(t, matmul(t, h, emb, { transB: true }), targets);
  }, [x, w1, b1, g, bb, emb], { rtol: 3e-2, atol: 2e-3 });
});

test('attentionGemm: same values as the attention kernel and finite-difference gradients', () => {
  const B = 3, T = 5, H = 2, Dh = 3;
  const q = param([B, T, H * Dh], 'q', () => 0.7 * rng.normal());
  const k = param([B, T, H * Dh], 'k', () => 0.7 * rng.normal());
  const v = param([B, T, H * Dh], 'v');
  const lengths = Int32Array.from([5, 2, 0]);
  const t = new Tape(be);
  const a = attention(t, q, k, v, { B, T, H, Dh }, lengths);
  const g = attentionGemm(t, q, k, v, { B, T, H, Dh }, lengths);
  let d = 0;
  for (let i = 0; i < a.size; i++) d = Math.max(d, Math.abs(a.data[i] - g.data[i]));
  assert.ok(d < 1e-5, `max diff ${d}`);
  t.dispose();
  check('attentionGemm', (tp) => attentionGemm(tp, q, k, v, { B, T, H, Dh }, lengths), [q, k, v]);
  check('attentionGemm without the probability cache', (tp) => attentionGemm(tp, q, k, v, { B, T, H, Dh }, lengths, { probCacheBytes: 0 }), [q, k, v]);
  // gradients equal the kernel path's
  type AttnFn = (tp: Tape, a: Tensor, b: Tensor, c: Tensor, d: { B: number; T: number; H: number; Dh: number }, l: Int32Array) => Tensor;
  const grads = (fn: AttnFn) => {
    for (const x of [q, k, v]) x.grad!.fill(0);
    const tp = new Tape(be);
    const o = fn(tp, q, k, v, { B, T, H, Dh }, lengths);
    tp.backward(o, Float64Array.from({ length: o.size }, (_, i) => Math.sin(i)));
    tp.dispose();
    return [q, k, v].map((x) => Float32Array.from(x.grad!));
  };
  const ga = grads((tp, a, b, c, d, l) => attention(tp, a, b, c, d, l));
  const gg = grads((tp, a, b, c, d, l) => attentionGemm(tp, a, b, c, d, l));
  const gn = grads((tp, a, b, c, d, l) => attentionGemm(tp, a, b, c, d, l, { probCacheBytes: 0 }));
  ga.forEach((x, j) => x.forEach((val, i) => assert.ok(Math.abs(val - gg[j][i]) < 1e-5, `grad ${j}[${i}] ${val} vs ${gg[j][i]}`)));
  // with and without the cache: the same arithmetic, so the same bits
  gg.forEach((x, j) => assert.deepEqual(x, gn[j]));
});

test('attentionGemm with attention-probability dropout: finite-difference gradients, masks replayed', () => {
  const B = 2, T = 4, H = 2, Dh = 2;
  const q = param([B, T, H * Dh], 'q', () => 0.7 * rng.normal());
  const k = param([B, T, H * Dh], 'k', () => 0.7 * rng.normal());
  const v = param([B, T, H * Dh], 'v');
  const lengths = Int32Array.from([4, 3]);
  for (const probCacheBytes of [0, undefined]) {
    check(`attentionGemm dropout (cache ${probCacheBytes ?? 'default'})`, (tp) => attentionGemm(tp, q, k, v, { B, T, H, Dh }, lengths, { dropoutP: 0.3, probCacheBytes }), [q, k, v], { training: true });
  }
  // dropout changes the output in training, not in eval
  const run = (training: boolean) => {
    const tp = new Tape(be, { training, seed: 1 });
    const o = Float32Array.from(attentionGemm(tp, q, k, v, { B, T, H, Dh }, lengths, { dropoutP: 0.3 }).data);
    tp.dispose();
    return o;
  };
  const evalOut = (() => {
    const tp = new Tape(be);
    const o = Float32Array.from(attention(tp, q, k, v, { B, T, H, Dh }, lengths).data);
    tp.dispose();
    return o;
  })();
  assert.deepEqual(run(false), run(false));
  assert.ok(run(false).every((x, i) => Math.abs(x - evalOut[i]) < 1e-5));
  assert.ok(run(true).some((x, i) => Math.abs(x - evalOut[i]) > 1e-3));
});
