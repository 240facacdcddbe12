/**
 * `npm run bench -- geneformer [--json] [--steps N] [--warmup N] [--threads N] [--backend auto|wasm|reference]
 *   [--shapes 2048x1,512x4] [--no-peer] [--profile] [--attention gemm|kernel]`
 *
 * Training rows: tokens/s of one masked-LM training step (forward at all positions, head at the
 * ~15% masked positions, backward, clipping, AdamW) for the study config (6 layers, hidden 256,
 * 4 heads, FFN 512, vocab 25,426) at sequence length 2048 (batch 1) and 512 (batch 4), next to
 * ../shared/reference/bert_mlm_ref.py (plain PyTorch, HF layout, head at every position as HF)
 * run with the same threads in the same run. Median over the timed steps after one warm-up step.
 * Tokens/s counts real tokens (batch * length), as the peer does.
 */
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { cpus } from 'node:os';
import { createBackend, AdamW, Tape, clipGradNorm, type Backend } from '../src/engine/index.js';
import { createGeneformer, maskTokens, mlmLoss, usesWeightDecay, padBatch } from '../src/models/geneformer/bert/index.js';
import { Rng } from '../src/data/rng.js';

const argv = process.argv.slice(2);
const flag = (name: string) => argv.includes(`--${name}`);
const opt = (name: string, dflt: string) => {
  const i = argv.indexOf(`--${name}`);
  return i >= 0 && i + 1 < argv.length ? argv[i + 1] : dflt;
};
const json = flag('json');
const steps = Number(opt('steps', '2'));
const warmup = Number(opt('warmup', '1'));
const threads = Number(opt('threads', '2'));
const shapes = opt('shapes', '2048x1,512x4').split(',').map((s) => s.split('x').map(Number) as [number, number]);
const peerScript = new URL('../../shared/reference/bert_mlm_ref.py', import.meta.url).pathname;

const rawBackend = await createBackend({ kind: opt('backend', 'auto') as 'auto', threads });
// --profile: time spent per kernel (wall ms), printed to stderr after each shape
const kernelMs = new Map<string, number>();
const backend: Backend = flag('profile')
  ? new Proxy(rawBackend, {
      get(target, prop, recv) {
        const v = Reflect.get(target, prop, recv);
        if (typeof v !== 'function') return v;
        return (...args: unknown[]) => {
          const t0 = performance.now();
          try {
            return (v as (...a: unknown[]) => unknown).apply(target, args);
          } finally {
            const key = prop === 'gemm' ? `gemm(${args[0] ? 'T' : 'N'}${args[1] ? 'T' : 'N'})` : String(prop);
            kernelMs.set(key, (kernelMs.get(key) ?? 0) + performance.now() - t0);
          }
        };
      },
    })
  : rawBackend;
const machine = `${cpus()[0]?.model ?? 'cpu'} x${cpus().length}, Node ${process.versions.node}`;
const model = createGeneformer({ attentionImpl: opt('attention', 'gemm') as 'gemm' }, 0, backend);
const c = model.config;
const p = model.params;
const optim = new AdamW(backend, [
  { params: p.all.filter((x) => usesWeightDecay(x.name)), weightDecay: 0.001 },
  { params: p.all.filter((x) => !usesWeightDecay(x.name)), weightDecay: 0 },
], { lr: 1e-3 });

function oursTokensPerSec(L: number, B: number): { tokensPerSec: number; medianStepS: number } {
  const rng = new Rng(1);
  const times: number[] = [];
  for (let s = 0; s < steps + warmup; s++) {
    const cells = Array.from({ length: B }, () => Int32Array.from({ length: L }, () => 2 + rng.int(c.vocabSize - 2)));
    const mb = maskTokens(padBatch(cells), rng, { p: 0.15, vocabSize: c.vocabSize, maskTokenId: 1, padTokenId: 0 });
    const t0 = performance.now();
    const tape = new Tape(backend, { training: true, seed: s });
    try {
      const { loss } = mlmLoss(tape, p, c, mb.batch, mb.rows, mb.targets);
      tape.backward(loss);
      clipGradNorm(backend, p.all, 1.0);
      optim.stepWith(1e-3);
      optim.zeroGrad();
    } finally {
      tape.dispose();
    }
    const dt = (performance.now() - t0) / 1000;
    if (s >= warmup) times.push(dt);
    if (!json) process.stderr.write(`  ours L=${L} B=${B} step ${s}${s < warmup ? ' (warm-up)' : ''}: ${dt.toFixed(2)} s\n`);
  }
  times.sort((a, b) => a - b);
  const med = times[Math.floor(times.length / 2)];
  return { tokensPerSec: (B * L) / med, medianStepS: med };
}

function peerTokensPerSec(L: number, B: number): { tokensPerSec: number | null; note?: string } {
  if (flag('no-peer')) return { tokensPerSec: null, note: 'peer skipped (--no-peer)' };
  if (!existsSync('/usr/bin/python3') || !existsSync(peerScript)) return { tokensPerSec: null, note: 'no /usr/bin/python3 or peer script' };
  const r = spawnSync('/usr/bin/python3', [peerScript, '--seq-len', String(L), '--batch', String(B), '--steps', String(steps), '--warmup', String(warmup), '--threads', String(threads)], {
    encoding: 'utf8', env: { ...process.env, OMP_WAIT_POLICY: 'PASSIVE' },
  });
  if (r.status !== 0) return { tokensPerSec: null, note: `peer failed: ${(r.stderr || '').trim().split('\n').at(-1)}` };
  const last = JSON.parse(r.stdout.trim().split('\n').at(-1)!);
  return { tokensPerSec: last.tokens_per_s };
}

for (const [L, B] of shapes) {
  const ours = oursTokensPerSec(L, B);
  const peer = peerTokensPerSec(L, B);
  const row = {
    name: 'geneformer_train_step',
    shape: `study config (6L/256/4h/512, V=25426), L=${L}, batch ${B}`,
    threads: backend.threads,
    ours: Math.round(ours.tokensPerSec * 10) / 10,
    peer: peer.tokensPerSec,
    unit: 'tokens/s',
    ratio: peer.tokensPerSec ? Math.round((ours.tokensPerSec / peer.tokensPerSec) * 1000) / 1000 : null,
    backend: backend.name,
    attention: c.attentionImpl,
    medianStepS: Math.round(ours.medianStepS * 1000) / 1000,
    peakMiB: Math.round(backend.memoryStats().peakBytes / 1048576),
    steps,
    warmup,
    machine,
    ...(peer.note ? { note: peer.note } : {}),
  };
  if (flag('profile')) {
    const total = [...kernelMs.values()].reduce((a, b) => a + b, 0);
    for (const [k, ms] of [...kernelMs].sort((a, b) => b[1] - a[1])) process.stderr.write(`  ${k.padEnd(22)} ${(ms / 1000).toFixed(2)} s  ${((100 * ms) / total).toFixed(1)}%\n`);
    kernelMs.clear();
  }
  if (json) process.stdout.write(JSON.stringify(row) + '\n');
  else process.stdout.write(`${row.name} ${row.shape}: ours ${row.ours} ${row.unit} (${row.backend}, ${row.threads} threads), peer ${row.peer ?? '-'}, ratio ${row.ratio ?? '-'}\n`);
}
