import type { Command } from 'commander';
import { ScmixError } from '../../errors.js';

// Placeholder until issue #5 lands: the command exists so --help lists it, and says so honestly.
export function register(program: Command): void {
  program
    .command('simulate')
    .description('write the simulated multi-source atlas (arrives with issue #5)')
    .allowUnknownOption()
    .allowExcessArguments()
    .action(() => {
      throw new ScmixError('INTERNAL', '`scmix simulate` is not available yet: it arrives with issue #5.');
    });
}
