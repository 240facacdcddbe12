/**
 * WASM kernels against the reference backend: normalisation, softmax family, embeddings, attention and the NB head.
 * Seeded random inputs with odd shapes (1x1, primes, non-multiples of the 4x8 tile and of
 * KC/NC, empty); tolerances are stated per test.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Rng } from '../../../src/data/rng.js';
import { assertClose, randArray, randCsr } from '../helpers.js';
import { bitEqual, csrIn, data, ref, useBackends } from './wasmSetup.js';

const eng = useBackends();

test('batchNorm / layerNorm forward and backward: rel 1e-5', () => {
  const rng = new Rng(8);
  for (const [M, N] of [[2, 1], [7, 13], [128, 37]]) {
    const x = data(eng.w2, rng, M * N, -3, 3), gamma = data(eng.w2, rng, N, 0.5, 1.5), beta = data(eng.w2, rng, N), dy = data(eng.w2, rng, M * N);
    const rOut = new Float32Array(M * N), rMean = new Float32Array(N), rInv = new Float32Array(N);
    ref.batchNormForward(M, N, x, gamma, beta, 1e-3, rOut, rMean, rInv);
    const out = eng.w2.allocF32(M * N), mean = eng.w2.allocF32(N), inv = eng.w2.allocF32(N);
    eng.w2.batchNormForward(M, N, x, gamma, beta, 1e-3, out, mean, inv);
    assertClose(out, rOut, 1e-5, 1e-6, 'bn out');
    assertClose(mean, rMean, 1e-6, 1e-7, 'bn mean');
    assertClose(inv, rInv, 1e-6, 0, 'bn invStd');
    const rdx = new Float32Array(M * N), rdg = new Float32Array(N).fill(1), rdb = new Float32Array(N).fill(1);
    ref.batchNormBackward(M, N, x, dy, gamma, rMean, rInv, rdx, rdg, rdb);
    const dx = eng.w2.allocF32(M * N), dg = eng.w2.allocF32(N), db = eng.w2.allocF32(N);
    eng.w2.fill(N, 1, dg);
    eng.w2.fill(N, 1, db);
    eng.w2.batchNormBackward(M, N, x, dy, gamma, mean, inv, dx, dg, db);
    assertClose(dx, rdx, 1e-5, 1e-6, 'bn dx');
    assertClose(dg, rdg, 1e-5, 1e-6, 'bn dgamma');
    assertClose(db, rdb, 1e-6, 1e-6, 'bn dbeta');
    const rv = data(eng.w2, rng, N, 0.5, 2);
    ref.batchNormInference(M, N, x, gamma, beta, rMean, rv, 1e-3, rOut);
    eng.w2.batchNormInference(M, N, x, gamma, beta, rMean, rv, 1e-3, out);
    assertClose(out, rOut, 1e-6, 1e-6, 'bn eval');

    const lOut = new Float32Array(M * N), lMean = new Float32Array(M), lInv = new Float32Array(M);
    ref.layerNormForward(M, N, x, gamma, beta, 1e-12, lOut, lMean, lInv);
    const lo = eng.w2.allocF32(M * N), lm = eng.w2.allocF32(M), li = eng.w2.allocF32(M);
    eng.w2.layerNormForward(M, N, x, gamma, beta, 1e-12, lo, lm, li);
    assertClose(lo, lOut, 1e-5, 1e-6, 'ln out');
    const ldx = new Float32Array(M * N), ldg = new Float32Array(N), ldb = new Float32Array(N);
    ref.layerNormBackward(M, N, x, dy, gamma, lMean, lInv, ldx, ldg, ldb);
    const gdx = eng.w2.allocF32(M * N), gdg = eng.w2.allocF32(N), gdb = eng.w2.allocF32(N);
    eng.w2.layerNormBackward(M, N, x, dy, gamma, lm, li, gdx, gdg, gdb);
    assertClose(gdx, ldx, 1e-5, 1e-5, 'ln dx');
    assertClose(gdg, ldg, 1e-5, 1e-6, 'ln dgamma');
    assertClose(gdb, ldb, 1e-6, 1e-6, 'ln dbeta');
  }
});

test('softmax, logSoftmax, softmax backward, crossEntropy (ignored rows): rel 2e-6', () => {
  const rng = new Rng(9);
  for (const [M, N] of [[1, 1], [5, 7], [33, 1001]]) {
    const x = data(eng.w2, rng, M * N, -10, 10), dy = data(eng.w2, rng, M * N);
    const r = new Float32Array(M * N), o = eng.w2.allocF32(M * N);
    ref.softmaxRows(M, N, x, r);
    eng.w2.softmaxRows(M, N, x, o);
    assertClose(o, r, 2e-6, 1e-12, 'softmax');
    ref.logSoftmaxRows(M, N, x, r);
    eng.w2.logSoftmaxRows(M, N, x, o);
    assertClose(o, r, 2e-6, 2e-6, 'logSoftmax');
    const y = eng.w2.allocF32(M * N);
    eng.w2.softmaxRows(M, N, x, y);
    ref.softmaxRowsBackward(M, N, y, dy, r);
    eng.w2.softmaxRowsBackward(M, N, y, dy, o);
    assertClose(o, r, 2e-6, 1e-9, 'softmax backward');
    const targets = eng.w2.allocI32(M);
    for (let i = 0; i < M; i++) targets[i] = i % 3 === 1 ? -1 : rng.int(N);
    const lr = ref.crossEntropyRows(M, N, x, targets, 0.25, r);
    const lw = eng.w2.crossEntropyRows(M, N, x, targets, 0.25, o);
    assertClose([lw], [lr], 2e-6, 0, 'CE loss');
    assertClose(o, r, 2e-6, 1e-9, 'CE dlogits');
  }
  const bad = eng.w2.allocI32(1);
  bad[0] = 9;
  assert.throws(() => eng.w2.crossEntropyRows(1, 3, eng.w2.allocF32(3), bad, 1, eng.w2.allocF32(3)), /target 9/);
});

test('gatherRows / scatterAddRows with repeated ids', () => {
  const rng = new Rng(10);
  const D = 37, rows = 11, n = 29;
  const table = data(eng.w2, rng, rows * D), ids = eng.w2.allocI32(n);
  for (let i = 0; i < n; i++) ids[i] = rng.int(rows);
  const o = eng.w2.allocF32(n * D), r = new Float32Array(n * D);
  ref.gatherRows(n, D, table, ids, r);
  eng.w2.gatherRows(n, D, table, ids, o);
  bitEqual(o, r, 'gather');
  const dout = data(eng.w2, rng, n * D), dt = data(eng.w2, rng, rows * D), rt = Float32Array.from(dt);
  ref.scatterAddRows(n, D, dout, ids, rt);
  eng.w2.scatterAddRows(n, D, dout, ids, dt);
  assertClose(dt, rt, 1e-6, 1e-6, 'scatterAdd');
  ids[3] = rows;
  assert.throws(() => eng.w2.gatherRows(n, D, table, ids, o), /id 11 at 3/);
});

test('attention forward/backward vs reference (odd T, padding, Dh % 4 != 0): rel 1e-5', () => {
  const rng = new Rng(11);
  for (const [B, T, H, Dh, lens] of [[1, 1, 1, 4, [1]], [2, 37, 2, 8, [37, 20]], [2, 70, 3, 5, [3, 70]], [1, 6, 1, 4, [0]]] as [number, number, number, number, number[]][]) {
    const n = B * T * H * Dh, scale = 1 / Math.sqrt(Dh);
    const q = data(eng.w2, rng, n, -2, 2), k = data(eng.w2, rng, n, -2, 2), v = data(eng.w2, rng, n), dout = data(eng.w2, rng, n);
    const lengths = eng.w2.allocI32(B);
    lengths.set(lens);
    const ro = new Float32Array(n), rl = new Float32Array(B * H * T);
    ref.attentionForward(B, T, H, Dh, q, k, v, lengths, scale, ro, rl);
    const out = eng.w2.allocF32(n), lse = eng.w2.allocF32(B * H * T);
    eng.w2.attentionForward(B, T, H, Dh, q, k, v, lengths, scale, out, lse);
    assertClose(out, ro, 1e-5, 1e-6, `attn out ${B}x${T}x${H}x${Dh}`);
    assertClose(lse, rl, 1e-6, 1e-6, 'attn lse');
    const rq = new Float32Array(n), rk = new Float32Array(n), rv = new Float32Array(n);
    ref.attentionBackward(B, T, H, Dh, q, k, v, lengths, scale, ro, rl, dout, rq, rk, rv);
    const dq = data(eng.w2, rng, n), dk = data(eng.w2, rng, n), dv = data(eng.w2, rng, n); // garbage: must be overwritten
    eng.w2.attentionBackward(B, T, H, Dh, q, k, v, lengths, scale, out, lse, dout, dq, dk, dv);
    assertClose(dq, rq, 1e-4, 1e-5, 'attn dq');
    assertClose(dk, rk, 1e-4, 1e-5, 'attn dk');
    assertClose(dv, rv, 1e-5, 1e-6, 'attn dv');
  }
});

test('attention with T = 2048 allocates no T x T buffer (memoryStats peak)', () => {
  const B = 1, T = 2048, H = 1, Dh = 16, n = B * T * H * Dh;
  const rng = new Rng(12);
  const q = data(eng.w2, rng, n), k = data(eng.w2, rng, n), v = data(eng.w2, rng, n), dout = data(eng.w2, rng, n);
  const lengths = eng.w2.allocI32(1);
  lengths[0] = T;
  const out = eng.w2.allocF32(n), lse = eng.w2.allocF32(T), dq = eng.w2.allocF32(n), dk = eng.w2.allocF32(n), dv = eng.w2.allocF32(n);
  const before = eng.w2.memoryStats();
  eng.w2.attentionForward(B, T, H, Dh, q, k, v, lengths, 0.25, out, lse);
  eng.w2.attentionBackward(B, T, H, Dh, q, k, v, lengths, 0.25, out, lse, dout, dq, dk, dv);
  const afterStats = eng.w2.memoryStats();
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
    const logits = data(eng.w2, rng, B * G, -3, 3), logLib = data(eng.w2, rng, B, 5, 9), pxR = data(eng.w2, rng, G, -2, 3);
    const rr = new Float32Array(B), rdl = new Float32Array(B * G), rdll = new Float32Array(B), rdp = new Float32Array(G).fill(0.5), rrho = new Float32Array(B * G);
    ref.nbLossRows(B, G, logits, logLib, pxR, x, 0.3, rr, rdl, rdll, rdp, rrho);
    const rec = eng.w2.allocF32(B), dl = eng.w2.allocF32(B * G), dll = eng.w2.allocF32(B), dp = eng.w2.allocF32(G), rho = eng.w2.allocF32(B * G);
    eng.w2.fill(G, 0.5, dp);
    eng.w2.nbLossRows(B, G, logits, logLib, pxR, csrIn(eng.w2, x), 0.3, rec, dl, dll, dp, rho);
    assertClose(rec, rr, 2e-5, 1e-4, `rec ${B}x${G}`);
    assertClose(rho, rrho, 2e-6, 1e-12, 'rho');
    let scale = 0;
    for (const v of rdl) scale = Math.max(scale, Math.abs(v));
    assertClose(dl, rdl, 1e-4, 1e-5 * scale, 'dLogits');
    assertClose(dll, rdll, 1e-4, 1e-4, 'dLogLib');
    assertClose(dp, rdp, 1e-4, 1e-4, 'dPxR');
    const rec2 = eng.w2.allocF32(B);
    eng.w2.nbLossRows(B, G, logits, logLib, pxR, x, 0, rec2, null, null, null);
    assertClose(rec2, rr, 2e-5, 1e-4, 'rec without gradients (foreign CSR)');
  }
});


test('row/column-split kernels: 2 threads bitwise equal 1 thread on sizes that really split', () => {
  const rng = new Rng(31);
  const M = 257, N = 300, n = 300001;
  const X = Float32Array.from(randArray(rng, M * N, -3, 3)), Y = Float32Array.from(randArray(rng, M * N));
  const g = Float32Array.from(randArray(rng, N, 0.5, 1.5)), bta = Float32Array.from(randArray(rng, N));
  const big = Float32Array.from(randArray(rng, n)), big2 = Float32Array.from(randArray(rng, n, 0.5, 2));
  const ids = Int32Array.from({ length: M }, () => rng.int(40));
  const tg = Int32Array.from({ length: M }, (_, i) => (i % 5 === 0 ? -1 : rng.int(N)));
  const run = (be: typeof eng.w1) => {
    const cp = (a: Float32Array) => { const v = be.allocF32(a.length); v.set(a); return v; };
    const o: Record<string, Float32Array | number> = {};
    const x = cp(X), y = cp(Y), gm = cp(g), bt = cp(bta);
    const out = be.allocF32(M * N), mean = be.allocF32(N), inv = be.allocF32(N), dx = be.allocF32(M * N), dg = be.allocF32(N), db = be.allocF32(N);
    be.batchNormForward(M, N, x, gm, bt, 1e-3, out, mean, inv);
    be.batchNormBackward(M, N, x, y, gm, mean, inv, dx, dg, db);
    Object.assign(o, { bnOut: out, bnMean: mean, bnInv: inv, bnDx: dx, bnDg: dg, bnDb: db });
    const lo = be.allocF32(M * N), lm = be.allocF32(M), li = be.allocF32(M), ldx = be.allocF32(M * N), ldg = be.allocF32(N), ldb = be.allocF32(N);
    be.layerNormForward(M, N, x, gm, bt, 1e-12, lo, lm, li);
    be.layerNormBackward(M, N, x, y, gm, lm, li, ldx, ldg, ldb);
    Object.assign(o, { lnOut: lo, lnDx: ldx, lnDg: ldg, lnDb: ldb });
    const sm = be.allocF32(M * N), ls = be.allocF32(M * N), sb = be.allocF32(M * N), ce = be.allocF32(M * N);
    be.softmaxRows(M, N, x, sm);
    be.logSoftmaxRows(M, N, x, ls);
    be.softmaxRowsBackward(M, N, sm, y, sb);
    const t = be.allocI32(M);
    t.set(tg);
    o.ceLoss = be.crossEntropyRows(M, N, x, t, 0.5, ce);
    Object.assign(o, { sm, ls, sb, ce });
    const table = be.allocF32(40 * N);
    const id = be.allocI32(M);
    id.set(ids);
    be.scatterAddRows(M, N, y, id, table);
    const gat = be.allocF32(M * N);
    be.gatherRows(M, N, table, id, gat);
    const sr = be.allocF32(N);
    be.sumRows(M, N, x, 0, sr);
    const xr = cp(X);
    be.addRowVector(M, N, xr, bt);
    Object.assign(o, { table, gat, sr, xr });
    const bb = cp(big), dout = be.allocF32(n), mask = be.allocF32(n);
    be.dropout(n, 0.2, 9, 123, bb, dout, mask);
    const bin = be.allocF32(n), ax = cp(big2);
    be.binary('div', n, bb, ax, bin);
    be.axpby(n, 0.5, bb, 2, ax, ax);
    const p = cp(big), mm = be.allocF32(n), vv = be.allocF32(n);
    be.adamStep(n, p, cp(big2), mm, vv, 1e-3, 0.9, 0.999, 1e-8, 0.01, true, 1);
    Object.assign(o, { dout, mask, bin, ax, p, mm, vv });
    return o;
  };
  const a = run(eng.w1), b2 = run(eng.w2);
  for (const k of Object.keys(a)) {
    if (typeof a[k] === 'number') assert.equal(a[k], b2[k], k);
    else bitEqual(a[k] as Float32Array, b2[k] as Float32Array, k);
  }
});

test('linearBatchNormFold: x Wf^T + bf equals BatchNorm of x W^T with batch statistics (rel 1e-5); WASM = reference; 1 = 2 threads bitwise', () => {
  const rng = new Rng(12);
  for (const [M, N, K] of [[16, 1, 1], [128, 37, 5], [64, 1501, 10]]) { // the last splits over 2 threads
    const x = data(eng.w2, rng, M * K, -2, 2), W = data(eng.w2, rng, N * K), gamma = data(eng.w2, rng, N, 0.5, 1.5), beta = data(eng.w2, rng, N);
    // the input moments the fold takes, in float64
    const xm = new Float64Array(K), xc = new Float64Array(K * K);
    for (let i = 0; i < M; i++) for (let k = 0; k < K; k++) xm[k] += x[i * K + k] / M;
    for (let i = 0; i < M; i++) for (let a = 0; a < K; a++) for (let b = 0; b < K; b++) xc[a * K + b] += ((x[i * K + a] - xm[a]) * (x[i * K + b] - xm[b])) / M;
    const xMean = Float32Array.from(xm), xCov = Float32Array.from(xc);
    // materialised: d = x W^T, then train-mode BatchNorm
    const d = new Float32Array(M * N), want = new Float32Array(M * N), wantMean = new Float32Array(N), wantInv = new Float32Array(N);
    ref.gemm(false, true, M, N, K, 1, x, W, 0, d);
    ref.batchNormForward(M, N, d, gamma, beta, 1e-3, want, wantMean, wantInv);
    const outs: Float32Array[][] = [];
    for (const be of [ref, eng.w1, eng.w2]) {
      const Wf = be.allocF32(N * K), bf = be.allocF32(N), mean = be.allocF32(N), variance = be.allocF32(N), invStd = be.allocF32(N);
      be.linearBatchNormFold(N, K, W, xMean, xCov, gamma, beta, 1e-3, Wf, bf, mean, variance, invStd);
      const y = new Float32Array(M * N);
      ref.gemm(false, true, M, N, K, 1, x, Wf, 0, y);
      ref.addRowVector(M, N, y, bf);
      const what = `${be.name} x${be.threads} ${M}x${N}x${K}`;
      assertClose(y, want, 1e-5, 1e-5, `folded BN output ${what}`);
      assertClose(mean, wantMean, 1e-5, 1e-6, `mean ${what}`);
      assertClose(invStd, wantInv, 1e-5, 0, `invStd ${what}`);
      for (let n = 0; n < N; n++) assert.ok(Math.abs(invStd[n] - 1 / Math.sqrt(variance[n] + 1e-3)) <= 1e-6 * invStd[n], `variance/invStd ${what}`);
      outs.push([Wf, bf, mean, variance, invStd].map((a) => Float32Array.from(a)));
    }
    for (let i = 0; i < 5; i++) {
      assertClose(outs[1][i], outs[0][i], 1e-6, 1e-7, `WASM vs reference, output ${i}`);
      bitEqual(outs[1][i], outs[2][i], `1 vs 2 threads, output ${i}`);
    }
  }
});
