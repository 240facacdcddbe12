import type { Command } from 'commander';
import { buildStudyCorpora } from '../../study/index.js';
import { eventRenderer, parseOnly, parseSeeds, studyFrom } from './run.js';
import { ScmixError } from '../../errors.js';

interface BuildFlags {
  seeds?: string;
  only?: string;
  out?: string;
  dataDir?: string;
  evalsets?: boolean;
  json?: boolean;
}

export function register(program: Command): void {
  program
    .command('build')
    .description('build the corpora of a study: corpora/<corpus>/seed<k>/corpus.h5ad (CSR) + manifest.json')
    .argument('<study>', 'study.yaml')
    .option('--seeds <list>', 'comma-separated seeds (default: the study\'s seeds)')
    .option('--only <filters>', 'corpus=A,B (only these corpora)')
    .option('--out <dir>', 'run directory (default: outputs.dir of the study)')
    .option('--evalsets', 'also write the evaluation sets (evalsets/<name>.h5ad)')
    .option('--data-dir <dir>', 'resolve the study\'s relative paths against this folder')
    .option('--json', 'machine-readable JSON lines on stdout')
    .action(async (path: string, flags: BuildFlags) => {
      const only = parseOnly(flags.only);
      if (only?.stage || only?.model) throw new ScmixError('CONFIG_INVALID', '`scmix build --only` accepts corpus=... only');
      const study = studyFrom(path, flags);
      const res = await buildStudyCorpora(study, {
        outDir: flags.out,
        seeds: parseSeeds(flags.seeds),
        corpora: only?.corpus,
        evalsets: flags.evalsets,
        onEvent: eventRenderer(Boolean(flags.json)),
      });
      if (flags.json) process.stdout.write(JSON.stringify({ event: 'finished', runDir: res.runDir, ran: res.ran, cached: res.cached }) + '\n');
      else process.stderr.write(`corpora in ${res.runDir}/corpora (${res.ran.length} built, ${res.cached.length} cached)\n`);
    });
}
