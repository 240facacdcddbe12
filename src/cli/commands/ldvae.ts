/**
 * `scmix ldvae latent|expression|loadings --model DIR [--data IN.h5ad] --out OUT`
 *  latent:     posterior mean of z per cell -> OUT.h5ad (input + obsm["X_ldvae"]) or OUT.csv (cell, Z_0..)
 *  expression: px_scale x library size (z sampled with --seed like scvi, or --mean) -> OUT.csv or OUT.h5ad (X)
 *  loadings:   decoder weights scaled by the decoder BatchNorm (get_loadings) -> OUT.csv (gene, Z_0..)
 * Query genes are aligned to the model's genes by name (reorder, zero-pad missing, drop extra).
 */
import type { Command } from 'commander';
import { existsSync } from 'node:fs';
import { ScmixError } from '../../errors.js';
import { createBackend } from '../../engine/index.js';
import { readH5ad, writeFileAtomic, writeH5ad, type AnnData, type Csr } from '../../io/index.js';
import { alignQuery, loadLdvae, loadReferenceWeights, type LdvaeModel } from '../../models/ldvae/index.js';
import { countsOf } from './trainLdvae.js';

const csvCell = (s: string) => (/[",\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s);

function matrixCsv(rowNames: readonly string[], colNames: readonly string[], data: Float32Array, firstHeader: string): string {
  const C = colNames.length;
  const lines = [[firstHeader, ...colNames].map(csvCell).join(',')];
  for (let r = 0; r < rowNames.length; r++) {
    const vals: string[] = [csvCell(rowNames[r])];
    for (let c = 0; c < C; c++) vals.push(String(data[r * C + c]));
    lines.push(vals.join(','));
  }
  return lines.join('\n') + '\n';
}

function denseToCsr(d: Float32Array, R: number, C: number): Csr {
  const indptr = new Int32Array(R + 1);
  let nnz = 0;
  for (let i = 0; i < d.length; i++) if (d[i] !== 0) nnz++;
  const indices = new Int32Array(nnz);
  const data = new Float32Array(nnz);
  let p = 0;
  for (let r = 0; r < R; r++) {
    for (let c = 0; c < C; c++) {
      const v = d[r * C + c];
      if (v !== 0) {
        indices[p] = c;
        data[p++] = v;
      }
    }
    indptr[r + 1] = p;
  }
  return { nRows: R, nCols: C, indptr, indices, data };
}

interface Opts { model: string; data?: string; out: string; layer?: string; seed: string; mean?: boolean; librarySize: string; reference?: boolean; threads?: string; backend: string }

async function load(o: Opts): Promise<LdvaeModel> {
  const backend = await createBackend({ kind: o.backend as 'auto', threads: o.threads ? Number(o.threads) : undefined });
  if (!existsSync(o.model)) throw new ScmixError('INPUT_MISSING', `${o.model}: not found`);
  return o.reference ? loadReferenceWeights(o.model, { backend }) : loadLdvae(o.model, { backend });
}

async function query(o: Opts, model: LdvaeModel): Promise<{ ad: AnnData; X: Csr }> {
  if (!o.data) throw new ScmixError('CONFIG_INVALID', 'this subcommand needs --data IN.h5ad');
  if (!existsSync(o.data)) throw new ScmixError('INPUT_MISSING', `${o.data}: file not found`);
  const ad = await readH5ad(o.data, { layers: Boolean(o.layer), raw: false });
  const X0 = countsOf(ad, o.layer, o.data);
  const al = alignQuery(X0, ad.var.index, model.genes, o.data, (m) => process.stderr.write(`warning: ${m}\n`));
  if (al.missing || al.dropped) process.stderr.write(`aligned ${o.data} to the model: ${al.missing} model genes zero-padded, ${al.dropped} query genes dropped\n`);
  return { ad, X: al.X };
}

export function register(program: Command): void {
  const cmd = program
    .command('ldvae')
    .description('LDVAE inference: latent | expression | loadings')
    .argument('<what>', 'latent | expression | loadings')
    .requiredOption('--model <dir>', 'checkpoint folder from `scmix train ldvae` (or, with --reference, a converted ldvae_ref weights.safetensors)')
    .option('--data <h5ad>', 'cells to embed / reconstruct (raw counts; genes matched by name)')
    .requiredOption('--out <file>', '.h5ad or .csv (loadings: .csv)')
    .option('--layer <name>', 'read counts from this layer instead of X')
    .option('--seed <n>', 'seed of the sampled z (expression)', '0')
    .option('--mean', 'expression from the posterior mean of z instead of a sample')
    .option('--library-size <x>', 'expression scale (scvi library_size)', '10000')
    .option('--reference', '--model is a safetensors converted from ldvae_ref.py weights.npz')
    .option('--threads <n>', 'compute threads')
    .option('--backend <kind>', 'auto | wasm | reference', 'auto');
  cmd.action(async (what: string, o: Opts) => {
    if (!['latent', 'expression', 'loadings'].includes(what)) throw new ScmixError('CONFIG_INVALID', `scmix ldvae ${what}: expected latent, expression or loadings`);
    const model = await load(o);
    const K = model.state.dims.K;
    const zNames = Array.from({ length: K }, (_, k) => `Z_${k}`);
    if (what === 'loadings') {
      if (!o.out.endsWith('.csv')) throw new ScmixError('CONFIG_INVALID', `--out ${o.out}: loadings are written as .csv`);
      writeFileAtomic(o.out, matrixCsv(model.genes, zNames, model.loadings(), 'gene'));
      return;
    }
    const { ad, X } = await query(o, model);
    const csv = o.out.endsWith('.csv');
    if (!csv && !o.out.endsWith('.h5ad')) throw new ScmixError('CONFIG_INVALID', `--out ${o.out}: expected .h5ad or .csv`);
    if (what === 'latent') {
      const z = model.latent(X);
      if (csv) writeFileAtomic(o.out, matrixCsv(ad.obs.index, zNames, z, 'cell'));
      else {
        const obsm = new Map(ad.obsm);
        obsm.set('X_ldvae', { shape: [X.nRows, K], data: z });
        await writeH5ad(o.out, { ...ad, obsm, layers: new Map() });
      }
      return;
    }
    const lib = Number(o.librarySize);
    if (!(lib > 0)) throw new ScmixError('CONFIG_INVALID', `--library-size ${o.librarySize}: must be > 0`);
    const e = model.normalizedExpression(X, { librarySize: lib, sample: !o.mean, seed: Number(o.seed) });
    if (csv) writeFileAtomic(o.out, matrixCsv(ad.obs.index, model.genes, e, 'cell'));
    else {
      const out: AnnData = { X: denseToCsr(e, X.nRows, model.genes.length), obs: ad.obs, var: { index: [...model.genes], columns: new Map() }, layers: new Map(), obsm: new Map(), varm: new Map(), uns: { ldvae_expression: { library_size: lib, sampled: !o.mean, seed: Number(o.seed) } } };
      await writeH5ad(o.out, out);
    }
  });
}
