import type { Command } from 'commander';
import { ScmixError } from '../../errors.js';

// Placeholder until issue #2 lands: the command exists so --help lists it, and says so honestly.
export function register(program: Command): void {
  program
    .command('convert')
    .description('convert MEX / 10x HDF5 / 3CA / GCT to h5ad (arrives with issue #2)')
    .allowUnknownOption()
    .allowExcessArguments()
    .action(() => {
      throw new ScmixError('INTERNAL', '`scmix convert` is not available yet: it arrives with issue #2.');
    });
}
