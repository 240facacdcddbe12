// LDVAE forward, hand-written backward and one Adam step against golden vectors produced by the
// real scvi-tools 1.1.5 LDVAE module (/work/shared/reference/golden/ldvae-golden.safetensors:
// 16 cells x 40 genes, fixed eps_z/eps_l, dropout 0). Initial weights are loaded through the
// checkpoint code path (loadStateTensors with scvi-tools names).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { readSafetensors } from '../../../src/io/safetensors.js';
import { referenceBackend, createBackend } from '../../../src/engine/backends/index.js';
import type { Backend } from '../../../src/engine/backend.js';
import { initState, transpose, tensorSpecs } from '../../../src/models/ldvae/params.js';
import { loadStateTensors, stateToTensors } from '../../../src/models/ldvae/stateDict.js';
import { createWorkspace, step } from '../../../src/models/ldvae/module.js';
import { adamUpdate, createAdamState } from '../../../src/models/ldvae/optimizer.js';
import { Rng } from '../../../src/data/rng.js';
import { denseToCsr, log1pView } from './support.js';

const FIX = new URL('../../fixtures/ldvae/', import.meta.url).pathname;
const GOLDEN = FIX + 'ldvae-golden.safetensors'; // copy of shared/reference/golden (scvi-tools 1.1.5 module)
const F64 = FIX + 'golden-f64.safetensors'; // same case recomputed in float64 (make_f64_oracle.py)
const skip = existsSync(GOLDEN) && existsSync(F64) ? false : `golden fixtures not found in ${FIX}`;
// Train mode: the encoder BatchNorms over 16 cells amplify float32 rounding, so the float32 golden
// is itself ~1e-5 from the exact values (torch f32 vs f64 on train/qz_m: 1.1e-5). Train-mode values
// are held to 1e-5 against the float64 oracle, or to twice the float32 golden's own distance from it
// where that is larger (it reaches 5.6e-4 on grad/z_encoder.mean_encoder.bias).
const noise: Record<string, number> = {};

type Arr = ArrayLike<number>;
const failures: string[] = [];
/**
 * Worst of |got - want| / max(|want|, 1e-2 * max|want|) over the tensor; asserts <= rel. The floor
 * (an absolute 1e-7 x the tensor's scale at rel 1e-5) only matters for elements that are sums
 * cancelling to ~0, where float32 rounding of the oracle itself exceeds 1e-5 relative.
 */
function close(name: string, got: Arr, want: Arr, rel = 1e-5, abs = 0): number {
  assert.equal(got.length, want.length, `${name}: length`);
  const scale = Math.max(1e-6, ...Array.from(want, (v) => Math.abs(v))) * 1e-2;
  let worst = 0;
  for (let i = 0; i < want.length; i++) {
    const d = Math.abs(got[i] - want[i]);
    if (abs > 0 && d <= abs) continue;
    const r = d / Math.max(Math.abs(want[i]), scale);
    if (r > worst) worst = r;
    if (r > rel) failures.push(`${name}[${i}]: got ${got[i]}, want ${want[i]} (rel ${r.toExponential(2)} > ${rel})`);
  }
  return worst;
}

const wasm = await createBackend({ kind: 'wasm', threads: 2 }).then((b) => b, (e: Error) => e);
const backends: [string, Backend | string][] = [['reference', referenceBackend()], ['wasm', wasm instanceof Error ? `WASM backend unavailable: ${wasm.message}` : wasm]];

for (const [label, be] of backends) test(`LDVAE matches scvi-tools golden vectors (eval, train, gradients, Adam step) [${label} backend]`, { skip: skip || (typeof be === 'string' ? be : false) }, () => {
  goldenCase(be as Backend);
});

function goldenCase(be: Backend): void {
  failures.length = 0;
  const g = readSafetensors(GOLDEN).tensors;
  const f64 = readSafetensors(F64).tensors;
  const T = (k: string) => g.get(k)!.data as Float32Array;
  const D = (k: string) => f64.get(k)!.data as Float32Array;
  // eval mode: 1e-5 against the float32 golden. Train mode: our error against the float64 truth
  // must be <= max(1e-5, 2 x the float32 golden's own error against it), per tensor.
  const check = (name: string, got: Arr, key: string, abs = 0) => {
    if (abs) return close(name, got, T(key), 0, abs);
    if (key.startsWith('eval/')) return close(name, got, T(key), 1e-5);
    const oracleNoise = close(name + ' (golden vs f64)', T(key), D(key), Infinity);
    const tol = Math.max(1e-5, 2 * oracleNoise);
    noise[name] = oracleNoise;
    return close(name, got, D(key), tol);
  };

  const B = 16, G = 40, K = 10, H = 128;
  const dims = { G, H, K, nLayers: 2 };
  const fresh = () => {
    const st = initState(be, dims, new Rng(1));
    loadStateTensors(st, g, GOLDEN, 'w/');
    return st;
  };
  assert.equal(tensorSpecs(dims).length, 44 + 0, 'state_dict has 44 tensors');
  const X = denseToCsr(T('x'), B, G);
  const bn = { eps: 1e-3, momentum: 0.01 };
  const klWeight = T('kl_weight')[0];
  const report: Record<string, number> = {};

  for (const mode of ['eval', 'train'] as const) {
    const st = fresh();
    const ws = createWorkspace(be, st, B, 0, mode === 'train');
    ws.zEnc.eps.set(T('eps_z'));
    ws.lEnc.eps.set(T('eps_l'));
    const rho = new Float32Array(B * G);
    const r = step(ws, st, X, log1pView(X), { train: mode === 'train', klWeight, bn, varEps: 1e-4, dropSeed: 0, dropoutHead: true, rhoOut: rho, backward: mode === 'train' });
    const m = (k: string) => T(`${mode}/${k}`);
    report[`${mode}/qz_m`] = check(`${mode}/qz_m`, ws.zEnc.qm.subarray(0, B * K), `${mode}/qz_m`);
    report[`${mode}/qz_v`] = check(`${mode}/qz_v`, ws.zEnc.qv.subarray(0, B * K), `${mode}/qz_v`);
    report[`${mode}/ql_m`] = check(`${mode}/ql_m`, ws.lEnc.qm.subarray(0, B), `${mode}/ql_m`);
    report[`${mode}/ql_v`] = check(`${mode}/ql_v`, ws.lEnc.qv.subarray(0, B), `${mode}/ql_v`);
    report[`${mode}/z`] = check(`${mode}/z`, ws.zEnc.sample.subarray(0, B * K), `${mode}/z`);
    report[`${mode}/library`] = check(`${mode}/library`, ws.lEnc.sample.subarray(0, B), `${mode}/library`);
    report[`${mode}/px_scale`] = check(`${mode}/px_scale`, rho, `${mode}/px_scale`);
    const rate = rho.map((v, i) => Math.exp(ws.lEnc.sample[Math.floor(i / G)]) * v);
    report[`${mode}/px_rate`] = check(`${mode}/px_rate`, rate, `${mode}/px_rate`);
    const theta = new Float32Array(B * G).map((_, i) => Math.exp(st.t.get('px_r')![i % G]));
    report[`${mode}/theta`] = check(`${mode}/theta`, theta, `${mode}/theta`);
    report[`${mode}/rec`] = check(`${mode}/rec`, ws.rec.subarray(0, B), `${mode}/rec`);
    report[`${mode}/kl_z`] = check(`${mode}/kl_z`, ws.klZ.subarray(0, B), `${mode}/kl_z`);
    report[`${mode}/kl_l`] = check(`${mode}/kl_l`, ws.klL.subarray(0, B), `${mode}/kl_l`);
    report[`${mode}/loss`] = check(`${mode}/loss`, [r.loss], `${mode}/loss`);
    if (mode !== 'train') continue;

    // every gradient of train/loss (pre-BN Linear biases: true gradient 0, absolute 1e-4)
    let nGrad = 0;
    for (const sp of st.specs) {
      if (sp.kind !== 'param') continue;
      const gr = ws.grads.get(sp.name)!;
      const got = sp.transposed ? transpose(gr, sp.shape[1], sp.shape[0]) : gr;
      const preBnBias = /fc_layers\.Layer \d\.0\.bias$/.test(sp.name);
      report[`grad/${sp.name}`] = check(`grad/${sp.name}`, got, `train/grad/${sp.name}`, preBnBias ? 1e-4 : 0);
      nGrad++;
    }
    assert.equal(nGrad, [...g.keys()].filter((k) => k.startsWith('train/grad/')).length, 'one gradient per golden gradient');

    // state after one Adam step (lr from the file, eps 0.01, wd 1e-6), running stats included
    const opt = createAdamState(be, st);
    adamUpdate(be, st, ws.grads, opt, { lr: T('lr')[0], adamBeta1: 0.9, adamBeta2: 0.999, adamEps: 0.01, weightDecay: 1e-6 });
    const after = stateToTensors(st);
    let nState = 0;
    for (const [name, t] of after) {
      const want = g.get(`step1/${name}`);
      assert.ok(want, `golden has step1/${name}`);
      if (t.dtype === 'I64') {
        assert.equal((t.data as BigInt64Array)[0], (want.data as BigInt64Array)[0], `step1/${name}`);
      } else {
        const preBnBias = /fc_layers\.Layer \d\.0\.bias$/.test(name);
        report[`step1/${name}`] = check(`step1/${name}`, t.data as Float32Array, `step1/${name}`, preBnBias ? 1e-4 : 0);
      }
      nState++;
    }
    assert.equal(nState, 44);
  }
  assert.deepEqual(failures.slice(0, 20), [], `${failures.length} elements out of tolerance`);
  const worst = Object.entries(report).sort((a, b) => b[1] - a[1]).slice(0, 5);
  const noisy = Object.entries(noise).filter(([, v]) => v > 5e-6).map(([k, v]) => `${k}: ours ${report[k.replace(/^train\//, 'train/')]?.toExponential(2) ?? '?'} vs golden-f32 ${v.toExponential(2)}`);
  console.log('tensors where float32 noise exceeds 5e-6 (ours vs f64 | golden f32 vs f64):\n  ' + noisy.join('\n  '));
  console.log(`[${be.name}] worst relative errors:`, worst.map(([k, v]) => `${k}=${v.toExponential(2)}`).join(', '));
}
