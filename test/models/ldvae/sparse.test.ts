// The sparse path (CSR encoder input as log1p of the stored values, CSR weight gradient, NB lgamma terms
// only at nonzero counts) equals a dense float64 formulation that evaluates every (cell, gene)
// entry, including lgamma(x + theta) - lgamma(theta) - lgamma(x + 1) at x = 0.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { referenceBackend, lgamma, digamma } from '../../../src/engine/backends/index.js';
import type { Backend } from '../../../src/engine/backend.js';
import { initState } from '../../../src/models/ldvae/params.js';
import { createWorkspace, step } from '../../../src/models/ldvae/module.js';
import { Rng } from '../../../src/data/rng.js';
import { denseToCsr, log1pView } from './support.js';

const near = (name: string, got: number, want: number, rel = 2e-5, abs = 1e-6) =>
  assert.ok(Math.abs(got - want) <= rel * Math.abs(want) + abs, `${name}: ${got} vs ${want}`);

test('sparse encoder input, sparse weight gradient and nonzero-only NB terms equal the dense formulation', () => {
  const B = 12, G = 37, H = 16, K = 3;
  const rng = new Rng(11);
  const dense = Array.from({ length: B * G }, () => (rng.uniform() < 0.15 ? 1 + rng.int(30) : 0));
  const X = denseToCsr(dense, B, G);
  // The decoder's BatchNorm backward runs in place on dLogits: keep the NB head's gradient as it arrives there.
  const base = referenceBackend();
  let dLogitsIn: Float32Array | null = null;
  const be: Backend = {
    ...base,
    batchNormBackward(M, N, x, dy, ...rest) {
      if (N === G) dLogitsIn = Float32Array.from(dy.subarray(0, M * N));
      base.batchNormBackward(M, N, x, dy, ...rest);
    },
  };
  const st = initState(be, { G, H, K, nLayers: 1 }, new Rng(2));
  st.t.get('library_log_means')![0] = 4;
  st.t.get('library_log_vars')![0] = 0.5;
  const ws = createWorkspace(be, st, B, 0, true);
  for (let i = 0; i < B * K; i++) ws.zEnc.eps[i] = rng.normal();
  for (let i = 0; i < B; i++) ws.lEnc.eps[i] = rng.normal();
  step(ws, st, X, log1pView(X), { train: true, klWeight: 0.3, bn: { eps: 1e-3, momentum: 0.01 }, varEps: 1e-4, dropSeed: 0, dropoutHead: true, backward: true });

  // 1. first layer: a = log1p(X) W^T + b, dense
  const W0 = st.t.get('z_encoder.encoder.fc_layers.Layer 0.0.weight')!; // internal [G, H]
  const b0 = st.t.get('z_encoder.encoder.fc_layers.Layer 0.0.bias')!;
  const a = ws.zEnc.layers[0].a;
  for (let i = 0; i < B; i++)
    for (let h = 0; h < H; h++) {
      let s = b0[h];
      for (let g = 0; g < G; g++) s += Math.log1p(dense[i * G + g]) * W0[g * H + h];
      near(`a[${i},${h}]`, a[i * H + h], s);
    }

  // 2. NB reconstruction with every lgamma term, and its gradients, in float64 over all entries
  const logits = ws.logits, ell = ws.lEnc.sample, pxR = st.t.get('px_r')!;
  const eps = 1e-8;
  const dLogit = new Float64Array(B * G), dEll = new Float64Array(B), dPx = new Float64Array(G);
  for (let i = 0; i < B; i++) {
    let mx = -Infinity;
    for (let g = 0; g < G; g++) mx = Math.max(mx, logits[i * G + g]);
    let z = 0;
    for (let g = 0; g < G; g++) z += Math.exp(logits[i * G + g] - mx);
    let rec = 0;
    const gmu = new Float64Array(G), rho = new Float64Array(G);
    for (let g = 0; g < G; g++) {
      rho[g] = Math.exp(logits[i * G + g] - mx) / z;
      const mu = Math.exp(ell[i]) * rho[g], th = Math.exp(pxR[g]), x = dense[i * G + g];
      const l = th * (Math.log(th + eps) - Math.log(th + mu + eps)) + x * (Math.log(mu + eps) - Math.log(th + mu + eps)) + lgamma(x + th) - lgamma(th) - lgamma(x + 1);
      rec -= l;
      gmu[g] = -(th / (mu + th + eps) * -1 + x / (mu + eps) - x / (th + mu + eps)) / B; // d(rec/B)/dmu
      const dth = Math.log(th + eps) - Math.log(th + mu + eps) + th / (th + eps) - th / (th + mu + eps) - x / (th + mu + eps) + digamma(x + th) - digamma(th);
      dPx[g] += (-dth * th) / B;
    }
    near(`rec[${i}]`, ws.rec[i], rec, 1e-6, 1e-4);
    let dl = 0;
    for (let g = 0; g < G; g++) dl += gmu[g] * Math.exp(ell[i]) * rho[g];
    dEll[i] = dl;
    for (let g = 0; g < G; g++) dLogit[i * G + g] = Math.exp(ell[i]) * rho[g] * gmu[g] - rho[g] * dl;
  }
  for (let i = 0; i < B; i++) near(`dEll[${i}]`, ws.dEll[i], dEll[i], 1e-5, 1e-7);
  assert.ok(dLogitsIn, 'the decoder BatchNorm backward ran');
  for (let k = 0; k < B * G; k++) near(`dLogits[${k}]`, dLogitsIn[k], dLogit[k], 1e-5, 1e-7);
  const gPx = ws.grads.get('px_r')!;
  for (let g = 0; g < G; g++) near(`dPxR[${g}]`, gPx[g], dPx[g], 1e-5, 1e-7);

  // 3. first-layer weight gradient from spmmT equals dense log1p(X)^T dA
  const dA = ws.zEnc.da; // layer 0 is the last one processed by the backward pass
  const dW = ws.grads.get('z_encoder.encoder.fc_layers.Layer 0.0.weight')!;
  for (let g = 0; g < G; g++)
    for (let h = 0; h < H; h++) {
      let s = 0;
      for (let i = 0; i < B; i++) s += Math.log1p(dense[i * G + g]) * dA[i * H + h];
      near(`dW0[${g},${h}]`, dW[g * H + h], s, 1e-5, 1e-8);
    }
});
