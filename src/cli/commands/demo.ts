import type { Command } from 'commander';
import { existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ScmixError } from '../../errors.js';
import { simulateCommand } from './simulate.js';
import { runCommand } from './run.js';

/** presets/ shipped with the package (two levels above dist/cli/commands or src/cli/commands). */
function presetPath(name: string): string {
  const here = dirname(fileURLToPath(import.meta.url));
  for (const up of ['../../..', '../..']) {
    const p = resolve(here, up, 'presets', name);
    if (existsSync(p)) return p;
  }
  throw new ScmixError('INPUT_MISSING', `preset ${name} not found next to the scmix package`);
}

interface DemoFlags {
  out: string;
  threads?: string;
  json?: boolean;
}

export function register(program: Command): void {
  program
    .command('demo')
    .description('simulate the atlas and run the demo study (Blood baseline) end to end; prints the report path')
    .option('--out <dir>', 'demo folder (atlas/ and the run directory go here)', 'scmix-demo')
    .option('--threads <n>', 'compute threads for training (default 1: the multi-threaded pool can hang, see docs/notes/study.md)')
    .option('--json', 'machine-readable JSON lines on stdout')
    .action(async (flags: DemoFlags) => {
      const t0 = Date.now();
      const out = resolve(flags.out);
      const atlas = join(out, 'atlas');
      if (existsSync(join(atlas, 'atlas.json'))) process.stderr.write(`using the simulated atlas in ${atlas}\n`);
      else await simulateCommand({ out: atlas, json: flags.json });
      await runCommand(presetPath('demo.yaml'), { dataDir: out, out: join(out, 'run'), threads: flags.threads, json: flags.json });
      const report = join(out, 'run', 'report', 'report.html');
      const secs = ((Date.now() - t0) / 1000).toFixed(0);
      if (flags.json) process.stdout.write(JSON.stringify({ event: 'demo-finished', report, seconds: Number(secs) }) + '\n');
      else process.stdout.write(`report: ${report}\n(demo finished in ${secs} s)\n`);
    });
}
