import type { Command } from 'commander';
import { writeReport } from '../../report/index.js';
import { createProgress, type Progress } from '../progress.js';

/** `scmix report RUN_DIR`: the self-contained HTML report (figures as SVG + PNG, tables as CSV/JSON). */
export function register(program: Command): void {
  program
    .command('report')
    .description('write RUN_DIR/report/report.html (self-contained) with figures/*.svg|png and tables/*.csv|json; works on partial runs')
    .argument('<runDir>', 'run directory written by `scmix run` (evals/<model>/<corpus>/seed<k>/<evalset>/summary.json ...)')
    .option('--baseline <corpus>', 'corpus the log2 fold changes are taken against (default: study config `baseline`, else the first corpus)')
    .option('--no-png', 'skip the PNG copies of the figures')
    .option('--json', 'print a JSON line with the written paths on stdout', false)
    .action(async (runDir: string, o: { baseline?: string; png: boolean; json: boolean }) => {
      let bar: Progress | undefined;
      const res = await writeReport(runDir, {
        baseline: o.baseline,
        png: o.png,
        onProgress: (done, total) => {
          bar ??= createProgress({ label: 'report: figures', total, unit: 'figures', quiet: o.json });
          bar.update(done);
        },
      });
      bar?.finish();
      if (o.json) process.stdout.write(JSON.stringify(res) + '\n');
      else process.stdout.write(`wrote ${res.html} (${res.figures.length} figures, ${res.tables.length} tables; ${res.nCells}${res.nExpected ? ` of ${res.nExpected}` : ''} results)\n`);
    });
}
