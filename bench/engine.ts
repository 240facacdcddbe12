/**
 * `npm run bench -- engine [--json] [--threads N] [--reps R]`: engine kernels next to PyTorch on the
 * same machine in the same run. One JSON object per line with --json:
 *   { name, shape, threads, ours, peer, unit, ratio, backend, machine }
 * ratio = ours / peer (higher is better for us). GEMM in GFLOP/s, SpMM in GFLOP/s (2*nnz*N / time),
 * elementwise in Melem/s. Each cell is the median of R timed repetitions after one warm-up; the
 * best repetition is reported too (oursBest, peerBest, ratioBest), and the rate per CPU-second of
 * the process (oursCpu, peerCpu, ratioCpu: work / (user+sys time), best repetition) because on a
 * shared, overloaded 2-core VM wall-clock medians mostly measure the neighbours. With threads = 1 the
 * CPU-time rate is the single-core speed; with more threads it is throughput per busy core.
 * The peer is /usr/bin/python3 + torch with torch.set_num_threads(threads), OMP_WAIT_POLICY=PASSIVE;
 * when torch is missing the peer column is null and a note says why.
 */
import { spawnSync } from 'node:child_process';
import { availableParallelism, cpus } from 'node:os';
import { performance } from 'node:perf_hooks';
import { Rng } from '../src/data/rng.js';
import type { Backend, CsrView } from '../src/engine/backend.js';
import { createWasmBackend } from '../src/engine/backends/index.js';

const argv = process.argv.slice(2);
const json = argv.includes('--json');
const opt = (k: string, d: number) => {
  const i = argv.indexOf(k);
  return i >= 0 ? Number(argv[i + 1]) : d;
};
const threads = opt('--threads', availableParallelism());
const reps = opt('--reps', 7);

interface Case {
  name: string;
  shape: string;
  unit: 'GFLOP/s' | 'Melem/s';
  work: number; // FLOPs or elements per run
  kind: 'gemm' | 'spmm' | 'unary';
  dims: number[];
  op?: string;
  lo?: number;
  hi?: number;
}
const cases: Case[] = [
  ...[[128, 15000, 128], [2048, 256, 768], [2048, 256, 2048], [128, 10, 15000]].map(([M, K, N]) => ({
    name: 'gemm', shape: `${M}x${K}@${K}x${N}`, unit: 'GFLOP/s' as const, work: 2 * M * K * N, kind: 'gemm' as const, dims: [M, K, N],
  })),
  { name: 'spmm', shape: 'csr(128x15000,8%)@15000x128', unit: 'GFLOP/s', work: 2 * 128 * 1200 * 128, kind: 'spmm', dims: [128, 15000, 128] },
  { name: 'exp', shape: '2M', unit: 'Melem/s', work: 2 ** 21, kind: 'unary', dims: [2 ** 21], op: 'exp', lo: -5, hi: 5 },
  { name: 'log1p', shape: '2M', unit: 'Melem/s', work: 2 ** 21, kind: 'unary', dims: [2 ** 21], op: 'log1p', lo: 0, hi: 20 },
  { name: 'lgamma', shape: '2M', unit: 'Melem/s', work: 2 ** 21, kind: 'unary', dims: [2 ** 21], op: 'lgamma', lo: 0.1, hi: 50 },
];

function median(a: number[]): number {
  const s = [...a].sort((x, y) => x - y);
  return s[Math.floor(s.length / 2)];
}

/** [median wall, best wall, best CPU] seconds over `reps` runs after a warm-up. */
function timeIt(fn: () => void): [number, number, number] {
  fn(); // warm-up
  const t: number[] = [];
  const c: number[] = [];
  for (let r = 0; r < reps; r++) {
    const c0 = process.cpuUsage();
    const t0 = performance.now();
    fn();
    t.push((performance.now() - t0) / 1000);
    const cu = process.cpuUsage(c0);
    c.push((cu.user + cu.system) / 1e6);
  }
  return [median(t), Math.min(...t), Math.min(...c)];
}

/** CSR with exactly `perRow` distinct sorted columns per row and integer counts 1..20. */
function fixedCsr(be: Backend, rng: Rng, M: number, K: number, perRow: number): CsrView {
  const indptr = be.allocI32(M + 1), indices = be.allocI32(M * perRow), values = be.allocF32(M * perRow);
  for (let i = 0; i < M; i++) {
    const cols = rng.sampleWithoutReplacement(K, perRow);
    indices.set(cols, i * perRow);
    for (let p = 0; p < perRow; p++) values[i * perRow + p] = 1 + rng.int(20);
    indptr[i + 1] = (i + 1) * perRow;
  }
  return { nRows: M, nCols: K, indptr, indices, values };
}

function fill(be: Backend, rng: Rng, n: number, lo: number, hi: number): Float32Array {
  const a = be.allocF32(n);
  for (let i = 0; i < n; i++) a[i] = lo + (hi - lo) * rng.uniform();
  return a;
}

async function ours(): Promise<{ name: string; seconds: [number, number, number][] }> {
  const be = await createWasmBackend({ threads });
  const rng = new Rng(1);
  const seconds: [number, number, number][] = [];
  for (const c of cases) {
    if (c.kind === 'gemm') {
      const [M, K, N] = c.dims;
      const A = fill(be, rng, M * K, -1, 1), B = fill(be, rng, K * N, -1, 1), C = be.allocF32(M * N);
      seconds.push(timeIt(() => be.gemm(false, false, M, N, K, 1, A, B, 0, C)));
      for (const x of [A, B, C]) be.free(x);
    } else if (c.kind === 'spmm') {
      const [M, K, N] = c.dims;
      const S = fixedCsr(be, rng, M, K, 1200), B = fill(be, rng, K * N, -1, 1), C = be.allocF32(M * N);
      seconds.push(timeIt(() => be.spmm(S, N, B, 0, C)));
    } else {
      const n = c.dims[0];
      const x = fill(be, rng, n, c.lo!, c.hi!), out = be.allocF32(n);
      seconds.push(timeIt(() => be.unary(c.op as 'exp', n, x, out)));
    }
  }
  const name = be.name;
  await be.close();
  return { name, seconds };
}

const PEER = String.raw`
import json, sys, time, statistics
import torch
cfg = json.loads(sys.stdin.read())
torch.set_num_threads(cfg["threads"])
torch.manual_seed(0)
def t(fn, reps):
    fn()
    s = []
    c = []
    for _ in range(reps):
        c0 = time.process_time(); t0 = time.perf_counter(); fn(); s.append(time.perf_counter() - t0); c.append(time.process_time() - c0)
    return [statistics.median(s), min(s), min(c)]
out = []
for c in cfg["cases"]:
    if c["kind"] == "gemm":
        M, K, N = c["dims"]
        A = torch.rand(M, K) * 2 - 1; B = torch.rand(K, N) * 2 - 1
        out.append(t(lambda: torch.mm(A, B), cfg["reps"]))
    elif c["kind"] == "spmm":
        M, K, N = c["dims"]
        cols = torch.stack([torch.randperm(K)[:1200].sort().values for _ in range(M)]).flatten()
        crow = torch.arange(0, M * 1200 + 1, 1200)
        vals = torch.randint(1, 21, (M * 1200,)).float()
        S = torch.sparse_csr_tensor(crow, cols, vals, (M, K))
        B = torch.rand(K, N) * 2 - 1
        out.append(t(lambda: torch.matmul(S, B), cfg["reps"]))
    else:
        x = torch.rand(c["dims"][0]) * (c["hi"] - c["lo"]) + c["lo"]
        f = getattr(torch, c["op"])
        out.append(t(lambda: f(x), cfg["reps"]))
print(json.dumps({"torch": torch.__version__, "seconds": out}))
`;

function peer(): { seconds: ([number, number, number] | null)[]; note?: string; version?: string } {
  const r = spawnSync('/usr/bin/python3', ['-c', PEER], {
    input: JSON.stringify({ threads, reps, cases }),
    env: { ...process.env, OMP_WAIT_POLICY: 'PASSIVE', OMP_NUM_THREADS: String(threads), OPENBLAS_NUM_THREADS: String(threads) },
    encoding: 'utf8',
    maxBuffer: 1 << 20,
  });
  if (r.status !== 0) {
    const why = r.error ? r.error.message : (r.stderr || '').trim().split('\n').pop();
    return { seconds: cases.map(() => null), note: `peer skipped: /usr/bin/python3 with torch not available (${why})` };
  }
  const p = JSON.parse(r.stdout.trim().split('\n').pop()!) as { torch: string; seconds: [number, number, number][] };
  return { seconds: p.seconds, version: p.torch };
}

const machine = `${cpus()[0]?.model ?? 'cpu'} x${availableParallelism()}, Node ${process.version}`;
const o = await ours();
const p = peer();
if (p.note) console.error(p.note);
cases.forEach((c, i) => {
  const rate = (s: number | null) => (s === null ? null : c.unit === 'GFLOP/s' ? c.work / s / 1e9 : c.work / s / 1e6);
  const ps = p.seconds[i];
  const ourRate = rate(o.seconds[i][0])!, ourBest = rate(o.seconds[i][1])!, ourCpu = rate(o.seconds[i][2])!;
  const peerRate = ps ? rate(ps[0]) : null, peerBest = ps ? rate(ps[1]) : null, peerCpu = ps ? rate(ps[2]) : null;
  const row = {
    name: c.name, shape: c.shape, threads, ours: round(ourRate), peer: peerRate === null ? null : round(peerRate), unit: c.unit,
    ratio: peerRate === null ? null : round(ourRate / peerRate, 2),
    oursBest: round(ourBest), peerBest: peerBest === null ? null : round(peerBest), ratioBest: peerBest === null ? null : round(ourBest / peerBest, 2),
    oursCpu: round(ourCpu), peerCpu: peerCpu === null ? null : round(peerCpu), ratioCpu: peerCpu === null ? null : round(ourCpu / peerCpu, 2),
    backend: o.name, peer_impl: p.version ? `torch ${p.version}` : null, note: p.note ?? null, reps, machine,
  };
  if (json) console.log(JSON.stringify(row));
  else {
    console.log(`${c.name.padEnd(7)} ${c.shape.padEnd(30)} ours ${String(row.ours).padStart(7)} ${c.unit}  torch ${String(row.peer).padStart(7)}  ratio ${row.ratio}` +
      `   (best: ${row.oursBest} / ${row.peerBest} = ${row.ratioBest}; per CPU-s: ${row.oursCpu} / ${row.peerCpu} = ${row.ratioCpu})`);
  }
});

function round(x: number, d = 1): number {
  return Number(x.toFixed(d));
}
