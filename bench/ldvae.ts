/**
 * `npm run bench -- ldvae [--json] [--cells 20000 --genes 15000 --density 0.08 --epochs 5
 *   --threads 2 --backend auto --skip-peer --data FILE]`
 *
 * LDVAE training throughput (cells/s per epoch) of scmix next to the PyTorch reference
 * (shared/reference/ldvae_ref.py) on the same synthetic h5ad (shared/reference/make_synthetic.py,
 * generated into a temp dir), same thread count, same run; elbo_train of both after the last
 * epoch; peak RSS of both (GNU time). Each side runs in its own child process.
 * JSON lines: name, ours, peer, unit, ratio, machine, inputs.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { cpus, tmpdir, totalmem } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const REF = process.env.SCMIX_REFERENCE_DIR ?? '/work/shared/reference';
const argv = process.argv.slice(2);
const flag = (k: string) => argv.includes(`--${k}`);
const opt = (k: string, d: string) => {
  const i = argv.indexOf(`--${k}`);
  return i >= 0 && i + 1 < argv.length ? argv[i + 1] : d;
};

interface SideResult { cellsPerS: number; cellsPerCpuS: number; cellsPerSEpochs: number[]; elbo: number[]; seconds: number[]; peakRssMiB: number; backend?: string }

const median = (a: number[]) => {
  const s = [...a].sort((x, y) => x - y);
  return s.length ? (s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2) : NaN;
};

/** Peak RSS from GNU time's "%M" (KiB) written as the last stderr line. */
function timed(cmd: string, args: string[], env: NodeJS.ProcessEnv): { stdout: string; stderr: string; peakRssMiB: number; status: number | null } {
  const r = spawnSync('/usr/bin/time', ['-f', 'PEAK_RSS_KB=%M', cmd, ...args], { env, encoding: 'utf8', maxBuffer: 1 << 28 });
  const m = /PEAK_RSS_KB=(\d+)/.exec(r.stderr ?? '');
  return { stdout: r.stdout ?? '', stderr: r.stderr ?? '', peakRssMiB: m ? Number(m[1]) / 1024 : NaN, status: r.status };
}

async function child(): Promise<void> {
  // runs ours in a separate process so its peak RSS is measured like the peer's
  const { createBackend } = await import('../src/engine/index.js');
  const { readH5ad } = await import('../src/io/index.js');
  const { trainLdvae } = await import('../src/models/ldvae/index.js');
  const backend = await createBackend({ kind: opt('backend', 'auto') as 'auto', threads: Number(opt('threads', '2')) });
  const ad = await readH5ad(opt('data', ''), { layers: false, raw: false });
  const cpu: number[] = [];
  let c0 = process.cpuUsage();
  const m = await trainLdvae(ad, { epochs: Number(opt('epochs', '5')), checkValEveryNEpoch: 0, checkpointEveryNEpoch: 0, seed: 0 }, {
    backend,
    onBatch: (b) => {
      if (b.batch === 0) c0 = process.cpuUsage(); // epoch start (after the first batch's gather; negligible)
    },
    onEpoch: (r) => {
      const c = process.cpuUsage(c0);
      cpu.push((c.user + c.system) / 1e6); // all threads of the process, like the peer's process_time
      process.stderr.write(`ours epoch ${r.epoch}: elbo_train ${r.elbo_train.toFixed(3)} ${r.seconds.toFixed(2)} s ${r.cells_per_s.toFixed(0)} cells/s, cpu ${cpu[cpu.length - 1].toFixed(1)} s\n`);
    },
  });
  const mem = backend.memoryStats();
  const history = m.history.map((r, i) => ({ ...r, cpu_time_s: cpu[i] }));
  process.stdout.write(JSON.stringify({ backend: `${backend.name} x${backend.threads}`, history, backendPeakMiB: mem.peakBytes / 2 ** 20 }) + '\n');
}

async function main(): Promise<void> {
  if (flag('child')) return child();
  const json = flag('json');
  const cells = Number(opt('cells', '20000')), genes = Number(opt('genes', '15000')), density = Number(opt('density', '0.08'));
  const epochs = Number(opt('epochs', '5')), threads = Number(opt('threads', '2'));
  const dir = mkdtempSync(join(tmpdir(), 'scmix-bench-ldvae-'));
  const log = (s: string) => process.stderr.write(s + '\n');
  try {
    let data = opt('data', '');
    if (!data) {
      data = join(dir, 'synth.h5ad');
      log(`generating ${cells} x ${genes} at density ${density} -> ${data}`);
      const g = spawnSync('/usr/bin/python3', [join(REF, 'make_synthetic.py'), '--n-cells', String(cells), '--n-genes', String(genes), '--density', String(density), '--out', data], { stdio: ['ignore', 'inherit', 'inherit'] });
      if (g.status !== 0 || !existsSync(data)) throw new Error('make_synthetic.py failed (needs /usr/bin/python3 with numpy, scipy, anndata)');
    }
    const env = { ...process.env, OMP_WAIT_POLICY: 'PASSIVE' };
    // ours
    const self = fileURLToPath(import.meta.url);
    const o = timed(process.execPath, ['--import', 'tsx', self, '--child', '--data', data, '--epochs', String(epochs), '--threads', String(threads), '--backend', opt('backend', 'auto')], env);
    process.stderr.write(o.stderr.split('\n').filter((l) => !l.startsWith('PEAK_RSS')).join('\n'));
    if (o.status !== 0) throw new Error(`our training failed (exit ${o.status})`);
    const oj = JSON.parse(o.stdout.trim().split('\n').pop()!) as { backend: string; history: { elbo_train: number; seconds: number; cells_per_s: number; cpu_time_s: number }[] };
    const side = (h: { elbo_train: number; seconds?: number; epoch_time_s?: number; cells_per_s: number; cpu_time_s: number }[], peak: number): SideResult => {
      const cps = h.map((r) => r.cells_per_s);
      const cpc = h.map((r) => (r.cells_per_s * (r.seconds ?? r.epoch_time_s ?? NaN)) / r.cpu_time_s);
      return { cellsPerS: median(cps.length > 1 ? cps.slice(1) : cps), cellsPerCpuS: median(cpc.length > 1 ? cpc.slice(1) : cpc), cellsPerSEpochs: cps, elbo: h.map((r) => r.elbo_train), seconds: h.map((r) => r.seconds ?? r.epoch_time_s ?? NaN), peakRssMiB: peak };
    };
    const ours = { ...side(oj.history, o.peakRssMiB), backend: oj.backend };
    // peer
    let peer: SideResult | null = null;
    if (!flag('skip-peer')) {
      const out = join(dir, 'ref');
      const p = timed('/usr/bin/python3', [join(REF, 'ldvae_ref.py'), '--h5ad', data, '--epochs', String(epochs), '--threads', String(threads), '--out-dir', out, '--seed', '0'], env);
      process.stderr.write(p.stdout.split('\n').filter((l) => l.startsWith('epoch')).join('\n') + '\n');
      if (p.status !== 0) throw new Error(`ldvae_ref.py failed (exit ${p.status}): ${p.stderr.slice(-2000)}`);
      peer = side(JSON.parse(readFileSync(join(out, 'history.json'), 'utf8')), p.peakRssMiB);
    }
    const machine = `${cpus().length}x ${cpus()[0]?.model ?? 'cpu'}, ${(totalmem() / 2 ** 30).toFixed(0)} GiB, Node ${process.version}`;
    const inputs = { cells, genes, density, epochs, threads, data: opt('data', '') || 'make_synthetic.py seed 0', backend: ours.backend, peer: 'ldvae_ref.py (PyTorch, OMP_WAIT_POLICY=PASSIVE)' };
    const rows = [
      { name: 'ldvae_train_cells_per_s', ours: ours.cellsPerS, peer: peer?.cellsPerS ?? null, unit: 'cells/s (median of epochs 2..n)', ratio: peer ? ours.cellsPerS / peer.cellsPerS : null, perEpoch: { ours: ours.cellsPerSEpochs, peer: peer?.cellsPerSEpochs ?? null } },
      { name: 'ldvae_train_cells_per_cpu_s', ours: ours.cellsPerCpuS, peer: peer?.cellsPerCpuS ?? null, unit: 'cells per CPU-second, all threads (median of epochs 2..n; less sensitive to a shared machine)', ratio: peer ? ours.cellsPerCpuS / peer.cellsPerCpuS : null },
      { name: `ldvae_elbo_train_epoch${epochs}`, ours: ours.elbo[ours.elbo.length - 1], peer: peer ? peer.elbo[peer.elbo.length - 1] : null, unit: 'nats/cell (lower is better)', ratio: peer ? ours.elbo[ours.elbo.length - 1] / peer.elbo[peer.elbo.length - 1] : null, perEpoch: { ours: ours.elbo, peer: peer?.elbo ?? null } },
      { name: 'ldvae_peak_rss', ours: ours.peakRssMiB, peer: peer?.peakRssMiB ?? null, unit: 'MiB', ratio: peer ? ours.peakRssMiB / peer.peakRssMiB : null },
    ];
    for (const r of rows) {
      const line = { ...r, machine, inputs };
      if (json) process.stdout.write(JSON.stringify(line) + '\n');
      else process.stdout.write(`${r.name}: ours ${r.ours?.toFixed(2)}  peer ${r.peer?.toFixed(2) ?? '-'}  ${r.unit}  ratio ${r.ratio?.toFixed(3) ?? '-'}\n`);
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

await main();
