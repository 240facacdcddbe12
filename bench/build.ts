/**
 * `npm run bench -- build [--json] [--cells 200000] [--no-peer]`: `scmix build` throughput for a
 * corpus of --cells cells (half blood, half bone marrow) drawn from simulated h5ad sources
 * (generated into a temp folder first, not timed), and peak memory (maxRSS). Peer: the same
 * build (read, filter, QC, sample, concat, write) with Python anndata, when /usr/bin/python3 has it.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { writeAtlas } from '../src/simulate/index.js';
import { buildStudyCorpora, loadStudy } from '../src/study/index.js';

const args = process.argv.slice(2);
const json = args.includes('--json');
const cellsArg = args.indexOf('--cells');
const nCells = cellsArg >= 0 ? Number(args[cellsArg + 1]) : 200_000;
const half = Math.floor(nCells / 2);
const noPeer = args.includes('--no-peer');

// Child mode: only the build, so maxRSS is the build's own peak (not the simulation's).
const phase = args.indexOf('--phase-build');
if (phase >= 0) {
  const d = args[phase + 1];
  const t1 = process.hrtime.bigint();
  await buildStudyCorpora(loadStudy(join(d, 'study.yaml')), { outDir: join(d, 'run') });
  const seconds = Number(process.hrtime.bigint() - t1) / 1e9;
  process.stdout.write(JSON.stringify({ seconds, maxRssMiB: process.resourceUsage().maxRSS / 1024 }) + '\n');
  process.exit(0);
}

const dir = mkdtempSync(join(tmpdir(), 'scmix-bench-build-'));
const log = (s: string) => !json && process.stderr.write(s + '\n');
try {
  // Sources: about 17% of simulated cells fail filters + QC; leave 20% headroom.
  log(`simulating sources for a ${nCells}-cell corpus in ${dir} ...`);
  const t0 = Date.now();
  await writeAtlas(join(dir, 'atlas'), { seed: 0, scale: (half * 1.25) / 3000, only: ['blood'] });
  await writeAtlas(join(dir, 'atlas'), { seed: 1, scale: (half * 1.25) / 1500, only: ['bone_marrow'] });
  log(`  simulated in ${((Date.now() - t0) / 1000).toFixed(0)} s`);
  writeFileSync(
    join(dir, 'study.yaml'),
    `name: bench
sources:
  blood:
    path: atlas/blood.h5ad
    genes: { ids: index, symbols: feature_name }
    filters: [{ column: disease, equals: normal }]
  bone_marrow:
    path: atlas/bone_marrow.h5ad
    genes: { ids: index, symbols: feature_name }
    filters: [{ column: disease, equals: normal }]
components:
  b: { source: blood, size: ${half} }
  m: { source: bone_marrow, size: ${nCells - half} }
corpora:
  Mix: [b, m]
`,
  );
  const inputBytes = statSync(join(dir, 'atlas', 'blood.h5ad')).size + statSync(join(dir, 'atlas', 'bone_marrow.h5ad')).size;
  const child = spawnSync(process.execPath, ['--import', 'tsx', process.argv[1], '--phase-build', dir], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] });
  if (child.status !== 0) throw new Error(`build child failed (${child.status})`);
  const { seconds: secs, maxRssMiB } = JSON.parse(child.stdout.trim().split('\n').at(-1)!) as { seconds: number; maxRssMiB: number };
  const out = join(dir, 'run', 'corpora', 'Mix', 'seed0', 'corpus.h5ad');
  let peer: { seconds: number; maxRssMiB: number } | null = null;
  let peerNote = 'python3 anndata not available';
  if (!noPeer && spawnSync('/usr/bin/python3', ['-c', 'import anndata, scipy'], { encoding: 'utf8' }).status === 0) {
    const script = `
import anndata as ad, numpy as np, scipy.sparse as sp, time, resource, sys, json
d = sys.argv[1]; half = int(sys.argv[2]); rest = int(sys.argv[3])
t = time.time()
parts = []
for name, n, seed in [('blood', half, 0), ('bone_marrow', rest, 0)]:
    a = ad.read_h5ad(f'{d}/atlas/{name}.h5ad')
    a = a[a.obs['disease'] == 'normal'].copy()
    X = a.X.tocsr()
    mito = a.var['feature_name'].str.startswith('MT-').values
    tot = np.asarray(X.sum(1)).ravel(); mt = np.asarray(X[:, mito].sum(1)).ravel()
    a = a[(tot > 1000) & (mt / tot < 0.1)].copy()
    np.random.seed(seed)
    a = a[np.sort(np.random.choice(a.n_obs, n, replace=False))].copy()
    parts.append(a)
genes = sorted(set(parts[0].var_names) & set(parts[1].var_names))
c = ad.concat([p[:, genes] for p in parts], label='dataset', keys=['b', 'm'])
c.obs_names = [str(i) for i in range(c.n_obs)]
c.X = sp.csr_matrix(c.X)
c.write_h5ad(f'{d}/peer.h5ad')
print(json.dumps({"seconds": time.time() - t, "maxRssMiB": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}))
`;
    const r = spawnSync('/usr/bin/python3', ['-c', script, dir, String(half), String(nCells - half)], { encoding: 'utf8' });
    if (r.status === 0) {
      peer = JSON.parse(r.stdout.trim().split('\n').at(-1)!);
      peerNote = 'python3 anndata (read_h5ad, filter, QC, sample, concat, write_h5ad)';
    } else peerNote = `python peer failed: ${r.stderr.trim().split('\n').at(-1)}`;
  }
  const machine = { cpus: cpus().length, cpu: cpus()[0]?.model ?? 'unknown', node: process.version };
  const inputs = { cells: nCells, genes: 613, inputBytes, outputBytes: statSync(out).size };
  const rows = [
    { name: 'build.throughput', ours: nCells / secs, peer: peer ? nCells / peer.seconds : null, unit: 'cells/s', ratio: peer ? nCells / secs / (nCells / peer.seconds) : null, machine, inputs, peerNote },
    { name: 'build.seconds', ours: secs, peer: peer?.seconds ?? null, unit: 's', ratio: peer ? secs / peer.seconds : null, machine, inputs },
    { name: 'build.maxRss', ours: maxRssMiB, peer: peer?.maxRssMiB ?? null, unit: 'MiB', ratio: peer ? maxRssMiB / peer.maxRssMiB : null, machine, inputs, note: 'maxRSS of a process that only plans + builds + writes (node baseline included)' },
  ];
  for (const r of rows) {
    if (json) process.stdout.write(JSON.stringify(r) + '\n');
    else process.stdout.write(`${r.name}: ours ${r.ours.toFixed(1)} ${r.unit}${r.peer !== null ? `, peer ${r.peer.toFixed(1)} ${r.unit}, ratio ${r.ratio!.toFixed(2)}` : ''}\n`);
  }
} finally {
  rmSync(dir, { recursive: true, force: true });
}
