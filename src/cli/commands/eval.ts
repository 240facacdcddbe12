import type { Command } from 'commander';
import { evaluateModelOnFile, type ReconstructionProgress } from '../../eval/reconstruction/index.js';
import { intFlag } from '../flags.js';
import { createProgress, type Progress } from '../progress.js';

/** A commander option parser for an integer flag. */
const int = (name: string, min: number) => (v: string) => intFlag(name, v, min);

/** `scmix eval`: the study's LDVAE reconstruction metric for one model on one eval set. */
export function register(program: Command): void {
  program
    .command('eval')
    .description('reconstruction accuracy (per-cell Pearson r / r2 on the eval set\'s HVGs), residuals, latent kNN of one LDVAE on one eval set')
    .requiredOption('--model <dir>', 'LDVAE checkpoint folder (model.json + model.safetensors)')
    .requiredOption('--data <h5ad>', 'evaluation set, raw counts in X, obs cell_type optional')
    .requiredOption('--out <dir>', 'output folder: percell.csv, summary.json, genes.csv, hvg_genes.txt, latent_sample.json, example_cell.json, factors.json')
    .option('--n-top-genes <n>', 'HVGs chosen on the eval set (scanpy seurat flavor)', int('n-top-genes', 2), 1000)
    .option('--seed <n>', 'seed of the sampled z and of the example cells', int('seed', 0), 0)
    .option('--posterior-mean', 'use z = posterior mean instead of a sample (scvi samples; the study did too)', false)
    .option('--block-rows <n>', 'cells per streamed block', int('block-rows', 1), 512)
    .option('--corpus <name>', 'corpus label written to summary.json (default: model folder name)')
    .option('--eval-set <name>', 'eval-set label written to summary.json (default: file stem)')
    .option('--threads <n>', 'engine threads', int('threads', 1), 1)
    .option('--json', 'print the summary as one JSON line on stdout', false)
    .action(async (o: { model: string; data: string; out: string; nTopGenes: number; seed: number; posteriorMean: boolean; blockRows: number; corpus?: string; evalSet?: string; threads: number; json: boolean }) => {
      const bars = new Map<string, Progress>();
      const onProgress = (p: ReconstructionProgress) => {
        let b = bars.get(p.phase);
        if (!b) {
          for (const other of bars.values()) other.finish();
          bars.clear();
          b = createProgress({ label: p.phase === 'hvg' ? 'eval: HVGs' : 'eval: reconstruct', total: p.total, unit: 'cells', quiet: o.json });
          bars.set(p.phase, b);
        }
        b.update(p.done);
      };
      const s = await evaluateModelOnFile({
        modelDir: o.model,
        evalPath: o.data,
        outDir: o.out,
        meta: { corpus: o.corpus, evalSet: o.evalSet, seed: o.seed },
        options: { nTopGenes: o.nTopGenes, seed: o.seed, sample: !o.posteriorMean, blockRows: o.blockRows },
        onProgress,
        threads: o.threads,
      });
      for (const b of bars.values()) b.finish();
      if (o.json) process.stdout.write(JSON.stringify(s) + '\n');
      else {
        const f = (v: number | null) => (v === null ? 'NaN' : v.toFixed(3));
        process.stdout.write(`${s.corpus} on ${s.evalSet}: ${s.nCells} cells, ${s.nHvg} HVGs, median r2 ${f(s.median_r2)} (IQR ${f(s.q25_r2)}-${f(s.q75_r2)}), mean r2 ${f(s.mean_r2)}, NaN cells ${s.nNan}${s.knn ? `, kNN cell-type accuracy ${f(s.knn.accuracy)}` : ''}\n`);
        for (const w of s.warnings) process.stdout.write(`  warning: ${w}\n`);
        process.stdout.write(`  wrote ${o.out}/percell.csv, summary.json\n`);
      }
    });
}
