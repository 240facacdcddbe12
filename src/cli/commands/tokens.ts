import type { Command } from 'commander';
import { ScmixError } from '../../errors.js';
import { openTokenDataset } from '../../models/geneformer/index.js';

interface Flags {
  head?: string;
  json?: boolean;
}

// `scmix tokens show DIR`: look inside a token dataset.
export function register(program: Command): void {
  const tokens = program.command('tokens').description('inspect a Geneformer token dataset');
  tokens
    .command('show')
    .description('print cells of a token dataset (one JSON object per cell with --json)')
    .argument('<dir>', 'token dataset folder (from `scmix tokenize`)')
    .option('--head <n>', 'number of cells to print', '10')
    .option('--json', 'one JSON object per cell: { cell, length, input_ids, ...obs columns }')
    .action((dir: string, f: Flags) => {
      const n = Number(f.head ?? '10');
      if (!Number.isInteger(n) || n < 0) throw new ScmixError('CONFIG_INVALID', `--head must be a non-negative integer, got '${f.head}'`);
      const ds = openTokenDataset(dir);
      try {
        const cols = Object.keys(ds.obs.columns);
        if (!f.json) {
          const m = ds.manifest as { encoding?: { variant?: string; inputSize?: number }; cells?: { dropped?: number } };
          process.stdout.write(
            `${dir}: ${ds.nCells} cells, ${ds.nTokens} tokens, vocabulary ${ds.vocabSize}` +
              (m.encoding ? `, ${m.encoding.variant} input size ${m.encoding.inputSize}` : '') +
              (m.cells?.dropped ? `, ${m.cells.dropped} cells dropped at tokenization` : '') +
              '\n',
          );
        }
        for (let i = 0; i < Math.min(n, ds.nCells); i++) {
          const ids = ds.cell(i);
          if (f.json) {
            const rec: Record<string, unknown> = { cell: ds.obs.index[i], length: ids.length, input_ids: Array.from(ids) };
            for (const c of cols) rec[c] = ds.obs.columns[c][i];
            process.stdout.write(JSON.stringify(rec) + '\n');
          } else {
            const extra = cols.map((c) => `${c}=${ds.obs.columns[c][i]}`).join(' ');
            const shown = Array.from(ids.subarray(0, 12)).join(' ') + (ids.length > 12 ? ' ...' : '');
            process.stdout.write(`${ds.obs.index[i]}\tlength ${ids.length}\t${extra ? extra + '\t' : ''}${shown}\n`);
          }
        }
      } finally {
        ds.close();
      }
    });
}
