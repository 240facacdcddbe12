import type { Command } from 'commander';
import { ScmixError } from '../../errors.js';

// Placeholder until issue #6 lands: the command exists so --help lists it, and says so honestly.
export function register(program: Command): void {
  program
    .command('eval')
    .description('evaluate models on evaluation sets (arrives with issue #6)')
    .allowUnknownOption()
    .allowExcessArguments()
    .action(() => {
      throw new ScmixError('INTERNAL', '`scmix eval` is not available yet: it arrives with issue #6.');
    });
}
