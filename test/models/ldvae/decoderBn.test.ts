// The decoder's BatchNorm backward normally rebuilds xhat from the logits ((logits - beta) / gamma)
// instead of recomputing d = z W^T; a gamma of exactly 0 makes that impossible and the trainer falls
// back to the GEMM. Both paths must give the BatchNorm backward of a float64 oracle on d = z W^T.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Backend } from '../../../src/engine/backend.js';
import { initState, names } from '../../../src/models/ldvae/params.js';
import { createWorkspace, freeWorkspace, step } from '../../../src/models/ldvae/module.js';
import { Rng } from '../../../src/data/rng.js';
import { BOTH_BACKENDS, closeBackend, denseToCsr, log1pView } from './support.js';
import { assertClose } from '../../engine/helpers.js';

const maxAbs = (a: ArrayLike<number>) => Math.max(...Array.from(a, Math.abs));

async function decoderGradients(base: Backend, zeroGamma: boolean) {
  const B = 16, G = 29, H = 8, K = 3;
  const rng = new Rng(21);
  const dense = Array.from({ length: B * G }, () => (rng.uniform() < 0.3 ? 1 + rng.int(12) : 0));
  const X = denseToCsr(dense, B, G);
  // Keep the gradient arriving at the decoder BatchNorm (its backward overwrites it in place) and
  // count the GEMMs of shape z W^T ([B,G] output, K inner): the forward's logits, plus the
  // backward's recomputation of d when it cannot rebuild xhat from the logits.
  let dy: Float32Array | null = null;
  let zWt = 0;
  const be: Backend = {
    ...base,
    batchNormBackward(M, N, x, dyIn, ...rest) {
      if (N === G) dy = Float32Array.from(dyIn.subarray(0, M * N));
      base.batchNormBackward(M, N, x, dyIn, ...rest);
    },
    gemm(ta, tb, M, N, Kd, ...rest) {
      if (!ta && tb && M === B && N === G && Kd === K) zWt++;
      base.gemm(ta, tb, M, N, Kd, ...rest);
    },
  };
  const st = initState(be, { G, H, K, nLayers: 1 }, new Rng(4));
  st.t.get('library_log_means')![0] = 3.5;
  st.t.get('library_log_vars')![0] = 0.6;
  const p = names.dec('factor_regressor');
  const gamma = st.t.get(`${p}.1.weight`)!, beta = st.t.get(`${p}.1.bias`)!;
  for (let g = 0; g < G; g++) {
    gamma[g] = 0.4 + rng.uniform();
    beta[g] = rng.normal() * 0.3;
  }
  if (zeroGamma) gamma[5] = 0;
  const ws = createWorkspace(be, st, B, 0, true);
  for (let i = 0; i < B * K; i++) ws.zEnc.eps[i] = rng.normal();
  for (let i = 0; i < B; i++) ws.lEnc.eps[i] = rng.normal();
  step(ws, st, X, log1pView(X), { train: true, klWeight: 0.5, bn: { eps: 1e-3, momentum: 0.01 }, varEps: 1e-4, dropSeed: 0, dropoutHead: true, backward: true });
  assert.ok(dy, 'the decoder BatchNorm backward ran');
  const dyIn: Float32Array = dy;

  // float64 oracle: d = z W^T, batch statistics, BatchNorm backward, then dW = dD^T z and dz = dD W
  const z = ws.zEnc.sample, W = st.t.get(`${p}.0.weight`)!;
  const dW = new Float64Array(G * K), dz = new Float64Array(B * K), dGamma = new Float64Array(G), dBeta = new Float64Array(G);
  for (let g = 0; g < G; g++) {
    const d = new Float64Array(B);
    let mean = 0;
    for (let b = 0; b < B; b++) {
      for (let k = 0; k < K; k++) d[b] += z[b * K + k] * W[g * K + k];
      mean += d[b] / B;
    }
    let v = 0;
    for (let b = 0; b < B; b++) v += (d[b] - mean) ** 2 / B;
    const invStd = 1 / Math.sqrt(v + 1e-3);
    const xhat = Array.from(d, (x) => (x - mean) * invStd);
    for (let b = 0; b < B; b++) {
      dGamma[g] += dyIn[b * G + g] * xhat[b];
      dBeta[g] += dyIn[b * G + g];
    }
    for (let b = 0; b < B; b++) {
      const dd = (gamma[g] * invStd / B) * (B * dyIn[b * G + g] - dBeta[g] - xhat[b] * dGamma[g]);
      for (let k = 0; k < K; k++) {
        dW[g * K + k] += dd * z[b * K + k];
        dz[b * K + k] += dd * W[g * K + k];
      }
    }
  }
  const got = { dW: ws.grads.get(`${p}.0.weight`)!, dGamma: ws.grads.get(`${p}.1.weight`)!, dBeta: ws.grads.get(`${p}.1.bias`)!, dz: ws.dz.subarray(0, B * K) };
  const want = { dW, dGamma, dBeta, dz };
  for (const key of Object.keys(want) as (keyof typeof want)[]) {
    const scale = maxAbs(want[key]);
    assert.ok(scale > 0, `${key} is not trivially zero`);
    assertClose(got[key], want[key], 2e-5, 2e-6 * scale, key);
  }
  freeWorkspace(ws);
  return { zWt, dW: got.dW };
}

for (const [name, make] of BOTH_BACKENDS) {
  test(`decoder BatchNorm backward from the logits and, with a zero gamma, from d = z W^T equals float64 (${name})`, async () => {
    const be = await make();
    try {
      const fast = await decoderGradients(be, false);
      assert.equal(fast.zWt, 1, 'nonzero gammas: only the forward GEMM, xhat is rebuilt from the logits');
      const fallback = await decoderGradients(be, true);
      assert.equal(fallback.zWt, 2, 'a zero gamma recomputes d = z W^T in the backward');
      // a zero gamma stops the gradient through its gene: that row of dW is exactly 0
      for (let k = 0; k < 3; k++) assert.equal(fallback.dW[5 * 3 + k], 0);
    } finally {
      await closeBackend(be);
    }
  });
}
