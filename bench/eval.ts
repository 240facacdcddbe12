/**
 * `npm run bench -- eval [--json] [--cells 40000] [--genes 2000] [--nnz-per-cell 200] [--block-rows 512] [--no-peer]`
 *
 * Throughput and memory of the reconstruction evaluation itself (alignment, CP10k + log1p, the
 * streamed HVG pass, per-cell Pearson over the HVGs, per-gene residual sums), with a model whose
 * decoder is a fixed profile so model cost is left out. Peer: the same steps with the reference's
 * own functions (ldvae_ref.prepare_query, normalize_total_log1p, hvg_seurat, rowwise_pearson in
 * /usr/bin/python3, reconstruction in 128-cell blocks as the reference does). Same matrix on both
 * sides: row r holds columns (r % step) + step*j with values (31r + 17j + (r*j mod 11)) mod 20 + 1.
 * Also reports peak RSS, to show the eval never holds an [N, G] reconstruction.
 */
import { spawnSync } from 'node:child_process';
import { cpus } from 'node:os';
import type { Csr } from '../src/io/index.js';
import { evalSourceFromAnnData, evaluateReconstruction, type ReconstructionModel } from '../src/eval/reconstruction/index.js';

const argv = process.argv.slice(2);
const flag = (n: string) => argv.includes(`--${n}`);
const opt = (n: string, d: string) => (argv.indexOf(`--${n}`) >= 0 ? argv[argv.indexOf(`--${n}`) + 1]! : d);
const json = flag('json');
const N = Number(opt('cells', '40000'));
const G = Number(opt('genes', '2000'));
const K = Number(opt('nnz-per-cell', '200'));
const blockRows = Number(opt('block-rows', '512'));
const machine = `${cpus()[0]?.model ?? 'cpu'} x${cpus().length}, Node ${process.versions.node}`;
const log = (s: string) => (json ? process.stderr.write(s + '\n') : console.log(s));

const step = Math.floor(G / K);
const indptr = new Int32Array(N + 1);
const indices = new Int32Array(N * K);
const data = new Float32Array(N * K);
for (let r = 0; r < N; r++) {
  for (let j = 0; j < K; j++) {
    indices[r * K + j] = (r % step) + step * j;
    data[r * K + j] = ((r * 31 + j * 17 + ((r * j) % 11)) % 20) + 1;
  }
  indptr[r + 1] = (r + 1) * K;
}
const X: Csr = { nRows: N, nCols: G, indptr, indices, data };
const genes = Array.from({ length: G }, (_, g) => `g${g}`);
let tot = 0;
for (let g = 0; g < G; g++) tot += 1 + (g % 7);
const profile = Float32Array.from(genes, (_, g) => ((1 + (g % 7)) / tot) * 1e4);
const model: ReconstructionModel = {
  genes,
  normalizedExpression(csr: Csr) {
    const out = new Float32Array(csr.nRows * G);
    for (let i = 0; i < csr.nRows; i++) out.set(profile, i * G);
    return out;
  },
};
const src = evalSourceFromAnnData({ X, obs: { index: genes.slice(0, 0).concat(Array.from({ length: N }, (_, i) => `c${i}`)), columns: new Map() }, var: { index: genes, columns: new Map() }, layers: new Map(), obsm: new Map(), varm: new Map(), uns: {} }, 'bench');
const t0 = performance.now();
const res = await evaluateReconstruction(model, src, { nTopGenes: 1000, blockRows, sample: false, latent: false });
const secs = (performance.now() - t0) / 1000;
const rssMb = process.resourceUsage().maxRSS / 1024;
log(`ours: ${N} cells x ${G} genes, ${res.summary.nHvg} HVGs: ${secs.toFixed(2)} s (${(N / secs).toFixed(0)} cells/s), peak RSS ${rssMb.toFixed(0)} MB (a full [N, G] float32 reconstruction alone would be ${((N * G * 4) / 2 ** 20).toFixed(0)} MB)`);

let peer: number | null = null;
let peerRss: number | null = null;
if (!flag('no-peer')) {
  const PY = `
import sys, time, json, resource, numpy as np, scipy.sparse as sp
sys.path.insert(0, "/work/shared/reference")
import os
os.environ.setdefault("OMP_NUM_THREADS", "2")
import ldvae_ref as R
n, g, k = int(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3])
step = g // k
idx = ((np.arange(n)[:, None] % step) + step * np.arange(k)[None, :]).ravel().astype(np.int32)
rr = np.arange(n)[:, None]; jj = np.arange(k)[None, :]
dat = (((rr * 31 + jj * 17 + ((rr * jj) % 11)) % 20) + 1).ravel().astype(np.float32)
X = sp.csr_matrix((dat, idx, np.arange(0, n * k + 1, k)), shape=(n, g))
var = np.array([f"g{i}" for i in range(g)])
prof = ((1 + np.arange(g) % 7) / (1 + np.arange(g) % 7).sum() * 1e4).astype(np.float32)
t0 = time.perf_counter()
Xq, _ = R.prepare_query(X, var, var)
logX = R.normalize_total_log1p(Xq)
hvg, _ = R.hvg_seurat(logX, n_top_genes=1000)
cols = np.flatnonzero(hvg)
orig = logX[:, cols].toarray()
recon = np.empty((n, len(cols)), np.float32)
for s in range(0, n, 128):
    e = np.tile(prof, (min(n, s + 128) - s, 1))
    recon[s:s + e.shape[0]] = np.log1p(e[:, cols])
r = R.rowwise_pearson(orig.astype(np.float64), recon.astype(np.float64))
print(json.dumps({"secs": time.perf_counter() - t0, "nhvg": int(len(cols)), "rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}))
`;
  const p = spawnSync('/usr/bin/python3', ['-c', PY, String(N), String(G), String(K)], { encoding: 'utf8' });
  if (p.status === 0) {
    const j = JSON.parse(p.stdout.trim().split('\n').pop()!);
    peer = j.secs;
    peerRss = j.rss_mb;
    log(`peer (ldvae_ref functions, numpy): ${j.secs.toFixed(2)} s (${(N / j.secs).toFixed(0)} cells/s), ${j.nhvg} HVGs, peak RSS ${j.rss_mb.toFixed(0)} MB`);
  } else log(`peer skipped: ${p.stderr.split('\n').slice(-3).join(' ')}`);
}
const row = (name: string, ours: number, peerV: number | null, unit: string) =>
  JSON.stringify({ name, ours, peer: peerV, unit, ratio: peerV ? ours / peerV : null, machine, inputs: { cells: N, genes: G, nnzPerCell: K, blockRows } });
if (json) {
  console.log(row('eval_reconstruction_cells_per_s', N / secs, peer ? N / peer : null, 'cells/s'));
  console.log(row('eval_reconstruction_peak_rss', rssMb, peerRss, 'MB'));
}
