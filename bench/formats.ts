/**
 * `npm run bench -- formats [--json] [--repeat 3]`
 *
 * Rows (JSON lines with --json: name, ours, peer, unit, ratio, machine, inputs), best of
 * `--repeat` runs each, ours and the peer on the same files in the same run:
 *  - formats.mex.pbmc3k: 10x MEX folder -> cells x genes CSR (nonzeros/s), vs scipy.io.mmread +
 *    .T.tocsr() + pandas reading genes/barcodes (timed inside Python, startup excluded);
 *  - data.preprocess.pbmc3k: normalize_total(1e4) + log1p + HVG seurat n_top 2000 (cells/s), vs
 *    ldvae_ref.normalize_total_log1p + hvg_seurat (numpy/pandas); the HVG sets must be equal;
 *  - data.qc.pbmc3k: total counts + mito fraction + default QC mask (cells/s), vs numpy.
 * Input: /work/shared/data/pbmc3k_10x (2700 cells x 32,738 genes, 2.29M nnz); the committed
 * 200-cell fixture when the shared folder is absent.
 */
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { cpus } from 'node:os';
import { join } from 'node:path';
import { readMex } from '../src/io/index.js';
import { normalizeTotal, log1pInPlace, highlyVariableGenes, qcMetrics } from '../src/data/index.js';

const args = process.argv.slice(2);
const json = args.includes('--json');
const ri = args.indexOf('--repeat');
const repeat = ri >= 0 ? Number(args[ri + 1]) : 3;
const PY = '/usr/bin/python3';
const REF = '/work/shared/reference';
// QC takes milliseconds: more repeats so the minimum is not scheduler noise.
const QC_REPEAT = 25;
const machine = `${cpus().length}-core ${cpus()[0]?.model ?? 'cpu'}, Node ${process.version}`;
const shared = '/work/shared/data/pbmc3k_10x/filtered_gene_bc_matrices/hg19';
const dir = existsSync(shared) ? shared : join(import.meta.dirname ?? '.', '..', 'test', 'fixtures', 'mex', 'pbmc3k_v2_200cells');
const mtx = existsSync(join(dir, 'matrix.mtx.gz')) ? join(dir, 'matrix.mtx.gz') : join(dir, 'matrix.mtx');

async function best<T>(f: () => Promise<T> | T, n = repeat): Promise<{ secs: number; value: T }> {
  let secs = Infinity, value!: T;
  for (let i = 0; i < n; i++) {
    const t0 = performance.now();
    value = await f();
    secs = Math.min(secs, (performance.now() - t0) / 1000);
  }
  return { secs, value };
}

const { secs: tMex, value: a } = await best(() => readMex(dir));
const nnz = a.X.indptr[a.X.nRows];
const N = a.X.nRows;
const { secs: tPre, value: hvg } = await best(() => highlyVariableGenes(log1pInPlace(normalizeTotal(a.X)), { nTop: 2000 }));
const { secs: tQc, value: q } = await best(() => {
  const m = qcMetrics(a);
  let pass = 0;
  for (let i = 0; i < N; i++) if (m.totalCounts[i] > 1000 && m.mitoFraction[i] < 0.1) pass++;
  return pass;
}, QC_REPEAT);

let peer: { mex: number; pre: number; qc: number; hvg: number[]; pass: number } | null = null;
if (existsSync(PY)) {
  const script = `
import sys, time, json
sys.path.insert(0, ${JSON.stringify(REF)})
import numpy as np, pandas as pd, scipy.io
from ldvae_ref import normalize_total_log1p, hvg_seurat
d, mtx, rep, qrep = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
def best(f, n=None):
    t = 1e9
    for _ in range(n or rep):
        t0 = time.perf_counter(); v = f(); t = min(t, time.perf_counter() - t0)
    return t, v
def read():
    X = scipy.io.mmread(mtx).T.tocsr().astype(np.float32)
    g = pd.read_csv(d + '/genes.tsv', sep='\\t', header=None)
    b = pd.read_csv(d + '/barcodes.tsv', sep='\\t', header=None)
    return X, g
tm, (X, g) = best(read)
tp, (mask, _) = best(lambda: hvg_seurat(normalize_total_log1p(X), n_top_genes=2000))
mito = g[1].astype(str).str.startswith('MT-').to_numpy()
def qc():
    tot = np.asarray(X.sum(axis=1, dtype=np.float64)).ravel()
    mt = np.asarray(X[:, mito].sum(axis=1, dtype=np.float64)).ravel()
    return int(((tot > 1000) & (mt / tot < 0.1)).sum())
tq, p = best(qc, qrep)
print(json.dumps({"mex": tm, "pre": tp, "qc": tq, "hvg": np.where(mask)[0].tolist(), "pass": p}))
`;
  try {
    peer = JSON.parse(execFileSync(PY, ['-c', script, dir, mtx, String(repeat), String(QC_REPEAT)], { encoding: 'utf8', maxBuffer: 1 << 26 }).trim().split('\n').pop()!);
  } catch (e) {
    process.stderr.write(`peer (python) failed: ${(e as Error).message}\n`);
  }
}
if (peer) {
  const same = peer.hvg.length === hvg.indices.length && peer.hvg.every((g, i) => g === hvg.indices[i]);
  if (!same) throw new Error(`HVG sets differ from the reference (${hvg.indices.length} vs ${peer.hvg.length} genes)`);
  if (peer.pass !== q) throw new Error(`QC pass counts differ: ours ${q}, numpy ${peer.pass}`);
}

const inputs = { data: dir, cells: N, genes: a.X.nCols, nnz, repeat, qcRepeat: QC_REPEAT };
const rows = [
  { name: 'formats.mex.pbmc3k', ours: nnz / tMex, peer: peer ? nnz / peer.mex : null, unit: 'nnz/s' },
  { name: 'data.preprocess.pbmc3k', ours: N / tPre, peer: peer ? N / peer.pre : null, unit: 'cells/s' },
  { name: 'data.qc.pbmc3k', ours: N / tQc, peer: peer ? N / peer.qc : null, unit: 'cells/s' },
].map((r) => ({ ...r, ratio: r.peer ? r.ours / r.peer : null, machine, inputs }));
for (const r of rows) {
  if (json) process.stdout.write(JSON.stringify(r) + '\n');
  else process.stdout.write(`${r.name.padEnd(24)} ours ${r.ours.toExponential(3)} ${r.unit}  peer ${r.peer?.toExponential(3) ?? 'n/a'}  ratio ${r.ratio?.toFixed(2) ?? 'n/a'}\n`);
}
