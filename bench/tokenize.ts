/**
 * `npm run bench -- tokenize [--json] [--embed-cells 8] [--threads 2]`
 *
 * Rows (JSON lines with --json: name, ours, peer, unit, ratio, machine, inputs):
 *  - tokenize.encode.<set>: rank value encoding of every cell held in memory (cells/s), vs the
 *    NumPy per-cell loop of bench/tokenize_ref.py on the same file in the same run;
 *  - tokenize.file.<set>: h5ad -> token dataset folder, reading, sha256 and writing included
 *    (cells/s), vs NumPy read (anndata) + encode;
 *  - embed.study.<set>: Geneformer cell embeddings (layer -2, study config 6L/256, random
 *    weights: speed does not depend on them) vs bench/embed_ref.py (plain PyTorch) on the same cells.
 * Token ids of ours and NumPy are compared (sha256) so a fast wrong answer cannot pass.
 */
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { createBackend } from '../src/engine/index.js';
import { embedTokenDataset } from '../src/eval/embedding/index.js';
import { readH5ad } from '../src/io/index.js';
import { createGeneformer, loadGeneformerDictionaries, openTokenDataset, planGenes, rankEncode, resolveTokenizeConfig, tokenizeH5ad } from '../src/models/geneformer/index.js';

const args = process.argv.slice(2);
const json = args.includes('--json');
const opt = (name: string, def: string) => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? args[i + 1] : def;
};
const embedCells = Number(opt('embed-cells', '8'));
const threads = Number(opt('threads', '2'));
const PY = '/usr/bin/python3';
const V1 = '/work/shared/data/geneformer-v1';
const machine = `${cpus().length}-core ${cpus()[0]?.model ?? 'cpu'}, Node ${process.version}`;

const sets: { name: string; path: string; geneColumn: string }[] = [
  { name: 'kang1556', path: '/work/shared/data/kang2018_pbmc_muscat/example_sce_1556cells.h5ad', geneColumn: 'gene_ids' },
];
// pbmc3k (2700 cells x 32,738 genes, 2.29M nnz) as h5ad with Ensembl ids, made once with anndata
const PBMC = join(tmpdir(), 'scmix-bench', 'pbmc3k_ensembl.h5ad');
if (!existsSync(PBMC)) {
  mkdirSync(join(tmpdir(), 'scmix-bench'), { recursive: true });
  execFileSync(PY, ['-c', `
import anndata, scipy.io, pandas as pd, numpy as np
d='/work/shared/data/pbmc3k_10x/filtered_gene_bc_matrices/hg19/'
import os
mtx = d + ('matrix.mtx.gz' if os.path.exists(d + 'matrix.mtx.gz') else 'matrix.mtx')
X = scipy.io.mmread(mtx).T.tocsr().astype(np.float32)
g = pd.read_csv(d + 'genes.tsv', sep='\\t', header=None)
b = pd.read_csv(d + 'barcodes.tsv', sep='\\t', header=None)
ad = anndata.AnnData(X, obs=pd.DataFrame(index=b[0].astype(str).values), var=pd.DataFrame({'gene_ids': g[0].values}, index=pd.Index(g[1].values).astype(str)))
ad.var_names_make_unique()
ad.write_h5ad('${PBMC}')
`]);
}
sets.push({ name: 'pbmc3k', path: PBMC, geneColumn: 'gene_ids' });

interface Row { name: string; ours: number; peer: number | null; unit: string; ratio: number | null; machine: string; inputs: Record<string, unknown> }
const rows: Row[] = [];
const emit = (r: Row) => {
  rows.push(r);
  if (json) process.stdout.write(JSON.stringify(r) + '\n');
  else process.stdout.write(`${r.name.padEnd(28)} ours ${r.ours.toFixed(1)} ${r.unit}  peer ${r.peer?.toFixed(1) ?? '-'}  ratio ${r.ratio?.toFixed(2) ?? '-'}\n`);
};
const best = async (n: number, fn: () => unknown) => {
  let b = Infinity;
  for (let i = 0; i < n; i++) {
    const t = performance.now();
    await fn();
    b = Math.min(b, (performance.now() - t) / 1000);
  }
  return b;
};

const v1 = loadGeneformerDictionaries(V1);
const work = mkdtempSync(join(tmpdir(), 'scmix-bench-tok-'));
try {
  for (const set of sets) {
    const ad = await readH5ad(set.path, { layers: false, raw: false });
    const geneCol = ad.var.columns.get(set.geneColumn);
    const genes = geneCol && geneCol.kind === 'string' ? geneCol.values : geneCol && geneCol.kind === 'categorical' ? Array.from(geneCol.codes, (c) => geneCol.categories[c]) : ad.var.index;
    const plan = planGenes(genes, v1, resolveTokenizeConfig({}), set.path);
    let ids: Int32Array = new Int32Array(0);
    const encS = await best(5, () => {
      ids = rankEncode(ad.X, plan, { inputSize: 2048 }).ids;
    });
    const ours = createHash('sha256').update(new Uint8Array(ids.buffer, ids.byteOffset, ids.byteLength)).digest('hex');
    const peer = JSON.parse(execFileSync(PY, ['bench/tokenize_ref.py', set.path, V1, '--gene-column', set.geneColumn, '--repeat', '5'], { encoding: 'utf8' })) as { read_s: number; encode_s: number; cells: number; sha256: string };
    if (peer.sha256 !== ours) throw new Error(`${set.name}: token ids differ from NumPy (${ours} vs ${peer.sha256})`);
    const n = ad.X.nRows;
    const inputs = { file: set.path, cells: n, genes: ad.X.nCols, nnz: ad.X.indptr[n], inputSize: 2048, tokens: ids.length, idsMatchNumpy: true };
    emit({ name: `tokenize.encode.${set.name}`, ours: n / encS, peer: n / peer.encode_s, unit: 'cells/s', ratio: peer.encode_s / encS, machine, inputs });
    const fileS = await best(3, () => tokenizeH5ad(set.path, join(work, set.name), { dictionaries: v1, overwrite: true, config: { geneColumn: set.geneColumn } }));
    emit({ name: `tokenize.file.${set.name}`, ours: n / fileS, peer: n / (peer.read_s + peer.encode_s), unit: 'cells/s', ratio: (peer.read_s + peer.encode_s) / fileS, machine, inputs: { ...inputs, note: 'ours: read + sha256 + encode + write token dataset; peer: anndata read + encode' } });
  }

  if (embedCells > 0) {
    const ds = openTokenDataset(join(work, 'kang1556'));
    const cells = Array.from({ length: Math.min(embedCells, ds.nCells) }, (_, i) => ds.cell(i));
    const sub = { nCells: cells.length, length: (i: number) => cells[i].length, cell: (i: number) => cells[i] };
    const backend = await createBackend({ kind: 'auto', threads });
    const model = createGeneformer({ vocabSize: v1.vocabSize }, 1, backend);
    const s = await best(2, () => embedTokenDataset(model, sub, { batchSize: 4, layer: -2 }));
    const cellsFile = join(work, 'cells.json');
    writeFileSync(cellsFile, JSON.stringify(cells.map((c) => Array.from(c))));
    const peer = JSON.parse(execFileSync(PY, ['bench/embed_ref.py', cellsFile, '--threads', String(threads), '--batch', '4'], { encoding: 'utf8' })) as { seconds: number };
    const meanLen = cells.reduce((a, c) => a + c.length, 0) / cells.length;
    emit({ name: 'embed.study.kang1556', ours: cells.length / s, peer: cells.length / peer.seconds, unit: 'cells/s', ratio: peer.seconds / s, machine, inputs: { cells: cells.length, meanLength: meanLen, layer: -2, config: '6L/256/4h/FFN512, vocab 25426', backend: backend.name, threads } });
    ds.close();
  }
} finally {
  rmSync(work, { recursive: true, force: true });
}
