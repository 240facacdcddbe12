import type { Command } from 'commander';
import { ScmixError } from '../../errors.js';
import { writeAtlas } from '../../simulate/index.js';
import { createProgress, type Progress } from '../progress.js';

interface SimulateFlags {
  out: string;
  seed?: string;
  scale?: string;
  genes?: string;
  json?: boolean;
}

/** Simulate the atlas into `out`, with a per-source progress bar; returns the file list. */
export async function simulateCommand(flags: SimulateFlags) {
  const seed = flags.seed === undefined ? 0 : Number(flags.seed);
  const scale = flags.scale === undefined ? 1 : Number(flags.scale);
  const nGenes = flags.genes === undefined ? 600 : Number(flags.genes);
  if (!Number.isInteger(seed) || seed < 0) throw new ScmixError('CONFIG_INVALID', `--seed must be a non-negative integer, got "${flags.seed}"`);
  if (!(scale > 0) || scale > 1000) throw new ScmixError('CONFIG_INVALID', `--scale must be in (0, 1000], got "${flags.scale}"`);
  if (!Number.isInteger(nGenes) || nGenes < 88 || nGenes > 60000) throw new ScmixError('CONFIG_INVALID', `--genes must be an integer in [88, 60000], got "${flags.genes}"`);
  let bar: Progress | undefined;
  let cur = '';
  const res = await writeAtlas(flags.out, {
    seed,
    scale,
    nGenes,
    onProgress: flags.json
      ? undefined
      : (source, done, total) => {
          if (source !== cur) {
            bar?.finish();
            bar = createProgress({ label: `simulate ${source}`, total, unit: 'cells' });
            cur = source;
          }
          bar!.update(done);
        },
  });
  bar?.finish();
  if (flags.json) for (const f of res.files) process.stdout.write(JSON.stringify(f) + '\n');
  else process.stderr.write(`atlas written to ${res.dir} (${res.files.length} h5ad files, gtex_median_tpm.gct, atlas.json)\n`);
  return res;
}

export function register(program: Command): void {
  program
    .command('simulate')
    .description('write the simulated multi-source atlas (h5ad per source) used by `scmix demo`')
    .requiredOption('--out <dir>', 'output folder')
    .option('--seed <n>', 'seed (default 0)')
    .option('--scale <x>', 'multiply every source\'s cell count (default 1: about 14k cells)')
    .option('--genes <n>', 'nuclear genes in the universe (default 600; 13 MT- genes are added)')
    .option('--json', 'print the written files as JSON lines')
    .action(async (flags: SimulateFlags) => {
      await simulateCommand(flags);
    });
}
