/**
 * The reference backend against hand-derived values, scipy/torch tables (fixtures/special.json)
 * and central finite differences in float64 (float64 arrays are passed through the F32 slots).
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { hashUniform, Rng } from '../../../src/data/rng.js';
import type { UnaryOp } from '../../../src/engine/backend.js';
import { referenceBackend, unaryValue } from '../../../src/engine/backends/index.js';
import { assertClose, dot, f64, numericGrad, randArray, randCsr, specialTables } from '../helpers.js';

const be = referenceBackend();
const tables = specialTables();

test('gemm: hand-computed 2x3 @ 3x2 and every transpose combination', () => {
  const A = Float32Array.from([1, 2, 3, 4, 5, 6]); // [2,3]
  const B = Float32Array.from([7, 8, 9, 10, 11, 12]); // [3,2]
  const C = new Float32Array(4);
  be.gemm(false, false, 2, 2, 3, 1, A, B, 0, C);
  assert.deepEqual([...C], [58, 64, 139, 154]);
  const At = Float32Array.from([1, 4, 2, 5, 3, 6]); // A^T stored [3,2]
  const Bt = Float32Array.from([7, 9, 11, 8, 10, 12]); // B^T stored [2,3]
  for (const [ta, tb] of [[true, false], [false, true], [true, true]] as const) {
    const C2 = Float32Array.from([1, 1, 1, 1]);
    be.gemm(ta, tb, 2, 2, 3, 2, ta ? At : A, tb ? Bt : B, 0.5, C2);
    assert.deepEqual([...C2], [116.5, 128.5, 278.5, 308.5], `transA=${ta} transB=${tb}`);
  }
  // beta = 0 overwrites NaN garbage
  const C3 = Float32Array.from([NaN, NaN, NaN, NaN]);
  be.gemm(false, false, 2, 2, 3, 1, A, B, 0, C3);
  assert.deepEqual([...C3], [58, 64, 139, 154]);
});

test('addRowVector, sumRows, axpby, binary, fill, sum, sumSquares', () => {
  const X = Float32Array.from([1, 2, 3, 4, 5, 6]);
  be.addRowVector(2, 3, X, Float32Array.from([10, 20, 30]));
  assert.deepEqual([...X], [11, 22, 33, 14, 25, 36]);
  const out = Float32Array.from([1, 1, 1]);
  be.sumRows(2, 3, X, 1, out);
  assert.deepEqual([...out], [26, 48, 70]);
  const y = Float32Array.from([1, 2]);
  be.axpby(2, 2, Float32Array.from([3, 4]), -1, y, y);
  assert.deepEqual([...y], [5, 6]);
  const o = new Float32Array(3);
  const a = Float32Array.from([1, -2, 6]);
  const b = Float32Array.from([2, 4, 3]);
  const want = { add: [3, 2, 9], sub: [-1, -6, 3], mul: [2, -8, 18], div: [0.5, -0.5, 2], max: [2, 4, 6], min: [1, -2, 3] };
  for (const [op, w] of Object.entries(want)) {
    be.binary(op as 'add', 3, a, b, o);
    assert.deepEqual([...o], w, op);
  }
  be.fill(2, 7, o);
  assert.deepEqual([...o], [7, 7, 3]);
  assert.equal(be.sum(3, a), 5);
  assert.equal(be.sumSquares(3, a), 41);
});

test('spmm / spmmT equal the dense products of the densified CSR (identity and log1p)', () => {
  const rng = new Rng(11);
  const M = 7, K = 13, N = 5;
  const A = randCsr(rng, M, K, 0.3);
  const dense = new Float32Array(M * K);
  for (let i = 0; i < M; i++) for (let p = A.indptr[i]; p < A.indptr[i + 1]; p++) dense[i * K + A.indices[p]] = A.values[p];
  const B = Float32Array.from(randArray(rng, K * N));
  const D = Float32Array.from(randArray(rng, M * N));
  for (const op of ['identity', 'log1p'] as const) {
    const Ad = dense.map((v) => (op === 'log1p' ? Math.log1p(v) : v));
    const want = new Float32Array(M * N).fill(1);
    be.gemm(false, false, M, N, K, 1, Ad, B, 0.5, want);
    const got = new Float32Array(M * N).fill(1);
    be.spmm(A, N, B, 0.5, got, op);
    assertClose(got, want, 1e-6, 1e-6, `spmm ${op}`);
    const wantT = new Float32Array(K * N).fill(2);
    be.gemm(true, false, K, N, M, 1, Ad, D, 1, wantT);
    const gotT = new Float32Array(K * N).fill(2);
    be.spmmT(A, N, D, 1, gotT, op);
    assertClose(gotT, wantT, 1e-6, 1e-6, `spmmT ${op}`);
  }
});

test('special functions match scipy tables', () => {
  for (const [x, y] of tables.lgamma) assertClose([unaryValue('lgamma', x)], [y], 1e-12, 1e-13, `lgamma(${x})`);
  for (const [x, y] of tables.digamma) assertClose([unaryValue('digamma', x)], [y], 1e-12, 1e-13, `digamma(${x})`);
  for (const [x, y] of tables.gelu) assertClose([unaryValue('gelu', x)], [y], 1e-10, 1e-15, `gelu(${x})`);
});

test('unaryBackward equals central differences of the forward op (float64)', () => {
  const ops: [UnaryOp, number[]][] = [
    ['exp', [-3, 0.2, 4]], ['log', [0.1, 2, 30]], ['log1p', [-0.5, 0.3, 9]], ['expm1', [-2, 1e-3, 3]],
    ['sqrt', [0.2, 4]], ['rsqrt', [0.3, 5]], ['neg', [1.5]], ['abs', [-2, 3]], ['square', [-1.5, 2]],
    ['sigmoid', [-30, -1, 0, 2.5]], ['softplus', [-20, -1, 0.5, 25]], ['tanh', [-2, 0.1, 3]], ['relu', [-1, 2]],
    ['gelu', [-4, -0.7, 0, 0.3, 5]], ['lgamma', [0.05, 0.7, 3.3, 40]], ['digamma', [0.2, 1.7, 15, -0.4]],
  ];
  for (const [op, xs] of ops) {
    const x = Float64Array.from(xs);
    const dy = Float64Array.from(xs.map((_, i) => 0.5 + i));
    const dx = new Float64Array(xs.length);
    be.unaryBackward(op, xs.length, f64(x), f64(dy), f64(dx));
    const want = xs.map((v, i) => (dy[i] * (unaryValue(op, v + 1e-6) - unaryValue(op, v - 1e-6))) / 2e-6);
    assertClose(dx, want, 2e-6, 1e-8, op);
  }
});

test('dropout: keep_i = hashUniform(seed, offset+i) >= p, kept values scaled by fround(1/(1-p))', () => {
  const n = 1000;
  const x = new Float32Array(n).fill(2);
  const out = new Float32Array(n);
  const mask = new Float32Array(n);
  be.dropout(n, 0.1, 42, 500, x, out, mask);
  let kept = 0;
  for (let i = 0; i < n; i++) {
    const keep = hashUniform(42, 500 + i) >= 0.1;
    assert.equal(mask[i], keep ? 1 : 0);
    assert.equal(out[i], keep ? Math.fround(2 * Math.fround(1 / 0.9)) : 0);
    kept += mask[i];
  }
  assert.ok(kept > 870 && kept < 930, `kept ${kept} of 1000 at p = 0.1`);
});

test('batchNorm forward/backward: values and central differences', () => {
  const rng = new Rng(3);
  const M = 5, N = 3, eps = 1e-3;
  const x = randArray(rng, M * N, -2, 2);
  const gamma = randArray(rng, N, 0.5, 1.5);
  const beta = randArray(rng, N);
  const w = randArray(rng, M * N);
  const out = new Float64Array(M * N), mean = new Float64Array(N), inv = new Float64Array(N);
  const loss = () => {
    be.batchNormForward(M, N, f64(x), f64(gamma), f64(beta), eps, f64(out), f64(mean), f64(inv));
    return dot(w, out);
  };
  loss();
  for (let j = 0; j < N; j++) {
    let s = 0, ss = 0;
    for (let i = 0; i < M; i++) s += out[i * N + j];
    for (let i = 0; i < M; i++) ss += (out[i * N + j] - beta[j]) ** 2;
    assertClose([s / M, ss / M], [beta[j], (gamma[j] ** 2 * (1 / inv[j] ** 2 - eps)) / (1 / inv[j] ** 2)], 1e-12, 1e-12, 'bn moments');
  }
  const dx = new Float64Array(M * N), dg = new Float64Array(N).fill(1), db = new Float64Array(N).fill(1);
  be.batchNormBackward(M, N, f64(x), f64(w), f64(gamma), f64(mean), f64(inv), f64(dx), f64(dg), f64(db));
  assertClose(dx, numericGrad(x, loss), 1e-6, 1e-8, 'bn dx');
  assertClose(dg.map((v) => v - 1), numericGrad(gamma, loss), 1e-6, 1e-8, 'bn dgamma (+=)');
  assertClose(db.map((v) => v - 1), numericGrad(beta, loss), 1e-6, 1e-8, 'bn dbeta (+=)');
  loss(); // numericGrad leaves `out` from a perturbed call
  const ev = new Float64Array(M * N);
  be.batchNormInference(M, N, f64(x), f64(gamma), f64(beta), f64(mean), f64(inv.map((v) => 1 / v ** 2 - eps)), eps, f64(ev));
  assertClose(ev, out, 1e-12, 1e-12, 'bn eval with batch stats equals train output');
});

test('layerNorm forward/backward: central differences', () => {
  const rng = new Rng(4);
  const M = 3, N = 7, eps = 1e-12;
  const x = randArray(rng, M * N, -2, 2), gamma = randArray(rng, N, 0.5, 1.5), beta = randArray(rng, N);
  const w = randArray(rng, M * N);
  const out = new Float64Array(M * N), mean = new Float64Array(M), inv = new Float64Array(M);
  const loss = () => {
    be.layerNormForward(M, N, f64(x), f64(gamma), f64(beta), eps, f64(out), f64(mean), f64(inv));
    return dot(w, out);
  };
  loss();
  const dx = new Float64Array(M * N), dg = new Float64Array(N), db = new Float64Array(N);
  be.layerNormBackward(M, N, f64(x), f64(w), f64(gamma), f64(mean), f64(inv), f64(dx), f64(dg), f64(db));
  assertClose(dx, numericGrad(x, loss), 1e-6, 1e-8, 'ln dx');
  assertClose(dg, numericGrad(gamma, loss), 1e-6, 1e-8, 'ln dgamma');
  assertClose(db, numericGrad(beta, loss), 1e-6, 1e-8, 'ln dbeta');
});

test('softmax, logSoftmax, softmax backward, crossEntropy', () => {
  const x = Float64Array.from([1, 2, 3, -1, 0, 1000]);
  const y = new Float64Array(6);
  be.softmaxRows(2, 3, f64(x), f64(y));
  const e = [Math.exp(-2), Math.exp(-1), 1];
  const s = e[0] + e[1] + e[2];
  assertClose(y, [e[0] / s, e[1] / s, e[2] / s, 0, 0, 1], 1e-14, 1e-300, 'softmax (row 2 overflow-safe)');
  const ls = new Float64Array(6);
  be.logSoftmaxRows(2, 3, f64(x), f64(ls));
  assertClose(ls.slice(0, 3), [-2 - Math.log(s), -1 - Math.log(s), -Math.log(s)], 1e-14, 0, 'logSoftmax');
  const rng = new Rng(5);
  const z = randArray(rng, 12, -3, 3), w = randArray(rng, 12);
  const loss = () => { be.softmaxRows(3, 4, f64(z), f64(y12)); return dot(w, y12); };
  const y12 = new Float64Array(12);
  loss();
  const dz = new Float64Array(12);
  be.softmaxRowsBackward(3, 4, f64(y12), f64(w), f64(dz));
  assertClose(dz, numericGrad(z, loss), 1e-6, 1e-9, 'softmax backward');
  const targets = Int32Array.from([2, -1, 0]);
  const dl = new Float64Array(12).fill(9);
  const ce = () => be.crossEntropyRows(3, 4, f64(z), targets, 0.5, f64(new Float64Array(12)));
  const v = be.crossEntropyRows(3, 4, f64(z), targets, 0.5, f64(dl));
  const l0 = Math.log(Math.exp(z[0]) + Math.exp(z[1]) + Math.exp(z[2]) + Math.exp(z[3])) - z[2];
  const l2 = Math.log(Math.exp(z[8]) + Math.exp(z[9]) + Math.exp(z[10]) + Math.exp(z[11])) - z[8];
  assertClose([v], [(l0 + l2) / 2], 1e-14, 0, 'mean CE over scored rows');
  assertClose(dl, numericGrad(z, ce), 1e-6, 1e-9, 'CE gradient (gradScale 1/count)');
  assert.deepEqual([...dl.slice(4, 8)], [0, 0, 0, 0]);
});

test('gatherRows / scatterAddRows (repeated ids accumulate); bad id is a readable error', () => {
  const table = Float32Array.from([0, 1, 10, 11, 20, 21]);
  const out = new Float32Array(6);
  be.gatherRows(3, 2, table, Int32Array.from([2, 0, 2]), out);
  assert.deepEqual([...out], [20, 21, 0, 1, 20, 21]);
  const dt = new Float32Array(6);
  be.scatterAddRows(3, 2, Float32Array.from([1, 2, 3, 4, 5, 6]), Int32Array.from([2, 0, 2]), dt);
  assert.deepEqual([...dt], [3, 4, 0, 0, 6, 8]);
  assert.throws(() => be.gatherRows(1, 2, table, Int32Array.from([3]), out), /id 3/);
});

/** Naive attention with the full score matrix, for checking the reference kernel. */
function naiveAttention(B: number, T: number, H: number, Dh: number, q: Float64Array, k: Float64Array, v: Float64Array, lengths: Int32Array, scale: number) {
  const out = new Float64Array(q.length);
  const at = (b: number, t: number, h: number) => ((b * T + t) * H + h) * Dh;
  for (let b = 0; b < B; b++) for (let h = 0; h < H; h++) for (let i = 0; i < T; i++) {
    const s: number[] = [];
    for (let j = 0; j < lengths[b]; j++) {
      let d = 0;
      for (let c = 0; c < Dh; c++) d += q[at(b, i, h) + c] * k[at(b, j, h) + c];
      s.push(Math.exp(d * scale));
    }
    const z = s.reduce((a, c) => a + c, 0);
    for (let j = 0; j < s.length; j++) for (let c = 0; c < Dh; c++) out[at(b, i, h) + c] += (s[j] / z) * v[at(b, j, h) + c];
  }
  return out;
}

test('attention forward equals the full-matrix softmax; backward equals central differences', () => {
  const rng = new Rng(6);
  const B = 2, T = 5, H = 2, Dh = 3, n = B * T * H * Dh, scale = 1 / Math.sqrt(Dh);
  const q = randArray(rng, n), k = randArray(rng, n), v = randArray(rng, n), w = randArray(rng, n);
  const lengths = Int32Array.from([5, 3]);
  const out = new Float64Array(n), lse = new Float64Array(B * H * T);
  const loss = () => { be.attentionForward(B, T, H, Dh, f64(q), f64(k), f64(v), lengths, scale, f64(out), f64(lse)); return dot(w, out); };
  loss();
  assertClose(out, naiveAttention(B, T, H, Dh, q, k, v, lengths, scale), 1e-13, 1e-15, 'attention forward');
  const dq = new Float64Array(n), dk = new Float64Array(n), dv = new Float64Array(n);
  be.attentionBackward(B, T, H, Dh, f64(q), f64(k), f64(v), lengths, scale, f64(out), f64(lse), f64(w), f64(dq), f64(dk), f64(dv));
  assertClose(dq, numericGrad(q, loss), 1e-6, 1e-9, 'dq');
  assertClose(dk, numericGrad(k, loss), 1e-6, 1e-9, 'dk (masked keys get 0)');
  assertClose(dv, numericGrad(v, loss), 1e-6, 1e-9, 'dv');
});

test('nbLossRows: rec equals -scipy nbinom.logpmf; gradients equal central differences', () => {
  for (const [x, mu, th, lp] of tables.nbLogPmf) {
    const rec = new Float32Array(1);
    const csr = x === 0
      ? { nRows: 1, nCols: 1, indptr: Int32Array.from([0, 0]), indices: new Int32Array(0), values: new Float32Array(0) }
      : { nRows: 1, nCols: 1, indptr: Int32Array.from([0, 1]), indices: Int32Array.from([0]), values: Float32Array.from([x]) };
    const r64 = new Float64Array(1);
    be.nbLossRows(1, 1, f64(new Float64Array(1)), f64(Float64Array.of(Math.log(mu))), f64(Float64Array.of(Math.log(th))), csr, 0, f64(r64), null, null, null);
    void rec;
    // eps = 1e-8 inside the logs shifts the value by O(1e-8 * (x/mu + 1)).
    assertClose(r64, [-lp], 1e-7, 1e-7 * (1 + x / mu), `x=${x} mu=${mu} theta=${th}`);
  }
  const rng = new Rng(8);
  const B = 3, G = 7;
  const x = randCsr(rng, B, G, 0.4, 30);
  const logits = randArray(rng, B * G, -2, 2), logLib = randArray(rng, B, 1, 4), pxR = randArray(rng, G, -1, 2);
  const rec = new Float64Array(B);
  const gs = 0.7;
  const loss = () => {
    be.nbLossRows(B, G, f64(logits), f64(logLib), f64(pxR), x, 0, f64(rec), null, null, null);
    return gs * rec.reduce((a, c) => a + c, 0);
  };
  const dLogits = new Float64Array(B * G), dLogLib = new Float64Array(B), dPxR = new Float64Array(G).fill(1), rho = new Float64Array(B * G);
  be.nbLossRows(B, G, f64(logits), f64(logLib), f64(pxR), x, gs, f64(rec), f64(dLogits), f64(dLogLib), f64(dPxR), f64(rho));
  assertClose(dLogits, numericGrad(logits, loss), 1e-6, 1e-8, 'dLogits');
  assertClose(dLogLib, numericGrad(logLib, loss), 1e-6, 1e-8, 'dLogLib');
  assertClose(dPxR.map((v) => v - 1), numericGrad(pxR, loss), 1e-6, 1e-8, 'dPxR accumulates');
  let s = 0;
  for (let g = 0; g < G; g++) s += rho[g];
  assertClose([s], [1], 1e-12, 0, 'rho rows sum to 1');
});

test('adamStep reproduces torch.optim.Adam (L2) and AdamW (decoupled) trajectories', () => {
  for (const [name, fx, decoupled] of [['adam', tables.adam, false], ['adamw', tables.adamw, true]] as const) {
    const p = Float64Array.from(fx.p0), m = new Float64Array(p.length), v = new Float64Array(p.length);
    fx.grads.forEach((g, s) => {
      be.adamStep(p.length, f64(p), f64(Float64Array.from(g)), f64(m), f64(v), fx.lr, fx.beta1, fx.beta2, fx.eps, fx.weightDecay, decoupled, s + 1);
      assertClose(p, fx.params[s], 1e-13, 1e-14, `${name} step ${s + 1}`);
    });
  }
});

test('shape errors name the kernel and the argument', () => {
  assert.throws(() => be.gemm(false, false, 2, 2, 3, 1, new Float32Array(5), new Float32Array(6), 0, new Float32Array(4)), /gemm: A has 5 elements, needs at least 6/);
});
