import type { Command } from 'commander';
import { ScmixError } from '../../errors.js';

// Placeholder until issue #4 lands: the command exists so --help lists it, and says so honestly.
export function register(program: Command): void {
  program
    .command('ldvae')
    .description('train an LDVAE (scvi-tools LinearSCVI) (arrives with issue #4)')
    .allowUnknownOption()
    .allowExcessArguments()
    .action(() => {
      throw new ScmixError('INTERNAL', '`scmix ldvae` is not available yet: it arrives with issue #4.');
    });
}
