// The training loop takes the Adam step of the two sparse first-layer weights inside the backward pass
// (Backend.spmmAdam, StepOptions.adam). Three steps that way must leave every tensor and both Adam
// moments bit for bit where three plain steps (gradients, then adamUpdate on all of them) leave them.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Backend } from '../../../src/engine/backend.js';
import { initState } from '../../../src/models/ldvae/params.js';
import { createWorkspace, freeWorkspace, step } from '../../../src/models/ldvae/module.js';
import { adamUpdate, createAdamState } from '../../../src/models/ldvae/optimizer.js';
import { parseLdvaeConfig } from '../../../src/models/ldvae/config.js';
import { Rng } from '../../../src/data/rng.js';
import { BOTH_BACKENDS, closeBackend, denseToCsr, log1pView } from './support.js';

function train(be: Backend, fused: boolean) {
  const B = 24, G = 61, H = 16, K = 4;
  const rng = new Rng(5);
  const dense = Array.from({ length: B * G }, () => (rng.uniform() < 0.2 ? 1 + rng.int(9) : 0));
  const X = denseToCsr(dense, B, G);
  const st = initState(be, { G, H, K, nLayers: 2 }, new Rng(3));
  st.t.get('library_log_means')![0] = 3;
  st.t.get('library_log_vars')![0] = 0.7;
  const opt = createAdamState(be, st);
  const cfg = parseLdvaeConfig({});
  const ws = createWorkspace(be, st, B, 0.1, true);
  for (let s = 0; s < 3; s++) {
    for (let i = 0; i < B * K; i++) ws.zEnc.eps[i] = rng.normal();
    for (let i = 0; i < B; i++) ws.lEnc.eps[i] = rng.normal();
    const r = step(ws, st, X, log1pView(X), {
      train: true, klWeight: 0.5, bn: { eps: cfg.bnEps, momentum: cfg.bnMomentum }, varEps: cfg.varEps, dropSeed: 100 + s, dropoutHead: 'deferred', backward: true,
      adam: fused ? { state: opt, hyper: cfg } : undefined,
    });
    assert.equal(r.adamDone.length, fused ? 2 : 0);
    adamUpdate(be, st, ws.grads, opt, cfg, r.adamDone);
  }
  freeWorkspace(ws);
  return { st, opt };
}

for (const [name, make] of BOTH_BACKENDS) {
  test(`Adam step fused into the first layers' backward == separate adamUpdate, bit for bit [${name} backend]`, async () => {
    const be = await make();
    const a = train(be, true), b = train(be, false);
    for (const [k, v] of a.st.t) assert.deepEqual(Buffer.from(v.buffer, v.byteOffset, v.byteLength), Buffer.from(b.st.t.get(k)!.buffer, b.st.t.get(k)!.byteOffset, v.byteLength), k);
    for (const which of ['m', 'v'] as const) {
      for (const [k, v] of a.opt[which]) assert.deepEqual([...v], [...b.opt[which].get(k)!], `${which} ${k}`);
    }
    assert.equal(a.opt.step, 3);
    await closeBackend(be);
  });
}
