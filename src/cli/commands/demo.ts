import type { Command } from 'commander';
import { ScmixError } from '../../errors.js';

// Placeholder until issue #5 lands: the command exists so --help lists it, and says so honestly.
export function register(program: Command): void {
  program
    .command('demo')
    .description('run the demo study on the simulated atlas (arrives with issue #5)')
    .allowUnknownOption()
    .allowExcessArguments()
    .action(() => {
      throw new ScmixError('INTERNAL', '`scmix demo` is not available yet: it arrives with issue #5.');
    });
}
