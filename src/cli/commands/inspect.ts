import type { Command } from 'commander';
import { ScmixError } from '../../errors.js';

// Placeholder until issue #2 lands: the command exists so --help lists it, and says so honestly.
export function register(program: Command): void {
  program
    .command('inspect')
    .description('summarise an h5ad/MEX/3CA/GCT file (arrives with issue #2)')
    .allowUnknownOption()
    .allowExcessArguments()
    .action(() => {
      throw new ScmixError('INTERNAL', '`scmix inspect` is not available yet: it arrives with issue #2.');
    });
}
