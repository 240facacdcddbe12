/**
 * `npm run bench -- io [--json] [--cells 100000] [--genes 20000] [--nnz-per-cell 500]
 *   [--repeats 3] [--block-rows 10000] [--threads 2] [--keep-data] [--no-peer]`
 *
 * h5ad read throughput for a CSR file of cells * nnzPerCell nonzeros (default 50M; float32 data,
 * int32 indices, written by Python anndata 0.8 into a temp folder, never the repo), stored
 * uncompressed and with gzip. Ours: openH5ad + rowBlocks(blockRows, { into }) filling one in-memory
 * CSR (the full streaming read); `_parallel` rows: openH5ad + readMatrix({threads}), the
 * worker-thread whole-matrix read that readH5ad uses. Peer: anndata.read_h5ad(path) in
 * /usr/bin/python3, same files, same run. Median of `repeats` warm-cache runs each. MB/s counts uncompressed bytes of
 * data + indices + indptr. Prints JSON lines {name, ours, peer, unit, ratio, machine, inputs}.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, rmSync, statSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { openH5ad } from '../src/io/index.js';

const argv = process.argv.slice(2);
const flag = (name: string): boolean => argv.includes(`--${name}`);
const opt = (name: string, dflt: string): string => {
  const i = argv.indexOf(`--${name}`);
  return i >= 0 && i + 1 < argv.length ? argv[i + 1] : dflt;
};
const json = flag('json');
const cells = Number(opt('cells', '100000'));
const genes = Number(opt('genes', '20000'));
const perCell = Number(opt('nnz-per-cell', '500'));
const repeats = Number(opt('repeats', '3'));
const blockRows = Number(opt('block-rows', '10000'));
const threads = Number(opt('threads', '2'));
const PY = '/usr/bin/python3';
const machine = `${cpus()[0]?.model ?? 'cpu'} x${cpus().length}, Node ${process.versions.node}`;
const log = (s: string): void => { if (!json) console.log(s); else process.stderr.write(s + '\n'); };

const dir = join(tmpdir(), `scmix-bench-io-${cells}x${genes}x${perCell}`);
const files = { none: join(dir, 'x_none.h5ad'), gzip: join(dir, 'x_gzip.h5ad') };

// Row r holds columns (r % step) + step * j: sorted, distinct, deterministic; values 1..20.
const MAKE = `
import sys, numpy as np, scipy.sparse as sp, anndata as ad, pandas as pd
n, g, k, out_none, out_gzip = int(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3]), sys.argv[4], sys.argv[5]
step = g // k
base = (np.arange(k, dtype=np.int32) * step)[None, :]
indices = ((np.arange(n, dtype=np.int32) % step)[:, None] + base).ravel()
data = (np.arange(n * k, dtype=np.int64) % 20 + 1).astype(np.float32)
indptr = np.arange(0, n * k + 1, k, dtype=np.int32)
X = sp.csr_matrix((data, indices, indptr), shape=(n, g))
a = ad.AnnData(X=X, obs=pd.DataFrame(index=[f"c{i}" for i in range(n)]), var=pd.DataFrame(index=[f"g{j}" for j in range(g)]))
a.write_h5ad(out_none)
a.write_h5ad(out_gzip, compression="gzip")
`;

const PEER = `
import sys, time, json, anndata as ad
times, cpus = [], []
for _ in range(int(sys.argv[2])):
    t0 = time.perf_counter(); c0 = time.process_time()
    a = ad.read_h5ad(sys.argv[1])
    times.append(time.perf_counter() - t0); cpus.append(time.process_time() - c0)
    assert a.X.nnz > 0; del a
print(json.dumps({"times": times, "cpu": cpus, "version": ad.__version__}))
`;

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)];
}

const cpuNow = (): number => { const u = process.cpuUsage(); return (u.user + u.system) / 1e6; };

async function oursOnce(path: string): Promise<{ seconds: number; cpu: number; nnz: number; rows: number }> {
  const t0 = performance.now();
  const c0 = cpuNow();
  const r = await openH5ad(path);
  try {
    const [nRows, nCols] = r.shape;
    const nnz = r.xInfo.nnz ?? 0;
    const indptr = new Float64Array(nRows + 1);
    const into = { indices: new Int32Array(nnz), data: new Float32Array(nnz) };
    let k = 0;
    // blocks land directly in `into` (see H5adReader.rowBlocks); indptr is assembled here
    for (const { start, csr } of r.rowBlocks(blockRows, { into })) {
      for (let i = 1; i <= csr.nRows; i++) indptr[start + i] = k + csr.indptr[i];
      k += csr.data.length;
    }
    if (k !== nnz || nCols !== genes) throw new Error(`read ${k} of ${nnz} nonzeros`);
    return { seconds: (performance.now() - t0) / 1000, cpu: cpuNow() - c0, nnz, rows: nRows };
  } finally {
    r.close();
  }
}

if (!existsSync(files.none) || !existsSync(files.gzip)) {
  mkdirSync(dir, { recursive: true });
  log(`generating ${cells} x ${genes} CSR with ${cells * perCell} nonzeros in ${dir} (anndata, once)...`);
  const g = spawnSync(PY, ['-c', MAKE, String(cells), String(genes), String(perCell), files.none, files.gzip], { encoding: 'utf8' });
  if (g.status !== 0) {
    console.error(`could not generate the bench file with ${PY} + anndata:\n${g.stderr}`);
    process.exit(2);
  }
}

const inputs = (kind: string): Record<string, unknown> => ({
  cells, genes, nnz: cells * perCell, storage: kind, fileBytes: statSync(files[kind as 'none']).size, repeats,
});

/** Whole-matrix read with worker threads (readMatrix), the non-streaming path of readH5ad. */
async function oursParallelOnce(path: string): Promise<{ seconds: number; cpu: number; nnz: number; rows: number }> {
  const t0 = performance.now();
  const c0 = cpuNow();
  const r = await openH5ad(path);
  try {
    const m = await r.readMatrix({ threads });
    return { seconds: (performance.now() - t0) / 1000, cpu: cpuNow() - c0, nnz: m.data.length, rows: m.nRows };
  } finally {
    r.close();
  }
}

function peerRun(path: string): { seconds: number; cpu: number; version: string } | null {
  if (flag('no-peer')) return null;
  const p = spawnSync(PY, ['-c', PEER, path, String(repeats)], { encoding: 'utf8' });
  if (p.status !== 0) {
    log(`peer (anndata) failed: ${p.stderr.split('\n').slice(-3).join(' ')}`);
    return null;
  }
  const res = JSON.parse(p.stdout) as { times: number[]; cpu: number[]; version: string };
  return { seconds: median(res.times), cpu: median(res.cpu), version: res.version };
}

for (const kind of ['none', 'gzip'] as const) {
  const path = files[kind];
  const peer = peerRun(path);
  const variants = [
    { suffix: '', how: `openH5ad + rowBlocks(${blockRows}, {into})`, once: oursOnce },
    { suffix: '_parallel', how: `openH5ad + readMatrix({threads: ${threads}})`, once: oursParallelOnce },
  ];
  for (const v of variants) {
    await v.once(path); // warm the page cache, h5wasm and the JIT
    const times: number[] = [];
    const cpu: number[] = [];
    let nnz = 0, rows = 0;
    for (let i = 0; i < repeats; i++) ({ seconds: times[i], cpu: cpu[i], nnz, rows } = await v.once(path));
    const ours = median(times);
    const bytes = nnz * 8 + (rows + 1) * 4;
    const rowsOut = [
      { name: `h5ad_read_${kind}${v.suffix}_nnz_per_s`, unit: 'nnz/s', ours: nnz / ours, peer: peer && nnz / peer.seconds },
      { name: `h5ad_read_${kind}${v.suffix}_mb_per_s`, unit: 'MB/s', ours: bytes / ours / 1e6, peer: peer && bytes / peer.seconds / 1e6 },
    ];
    for (const row of rowsOut) {
      const out = {
        name: row.name, ours: Number(row.ours.toPrecision(4)), peer: row.peer === null ? null : Number(row.peer.toPrecision(4)),
        unit: row.unit, ratio: row.peer ? Number((row.ours / row.peer).toFixed(3)) : null,
        machine,
        inputs: {
          ...inputs(kind), ours: v.how, oursSeconds: Number(ours.toFixed(3)), peerSeconds: peer && Number(peer.seconds.toFixed(3)),
          // CPU seconds (user + sys, all threads) are less disturbed than wall time on a shared machine
          oursCpuSeconds: Number(median(cpu).toFixed(3)), peerCpuSeconds: peer && Number(peer.cpu.toFixed(3)),
          peerTool: `anndata ${peer?.version ?? '?'} read_h5ad`, loadAverage: Number(loadavg()[0].toFixed(2)),
        },
      };
      if (json) console.log(JSON.stringify(out));
      else log(`${out.name.padEnd(36)} ours ${out.ours.toExponential(3)} ${out.unit}  peer ${out.peer?.toExponential(3) ?? '-'}  ratio ${out.ratio ?? '-'}`);
    }
  }
}

if (!flag('keep-data')) rmSync(dir, { recursive: true, force: true });
