import type { Command } from 'commander';
import { ScmixError } from '../../errors.js';

// Placeholder until issue #6 lands: the command exists so --help lists it, and says so honestly.
export function register(program: Command): void {
  program
    .command('report')
    .description('write the HTML report of a run (arrives with issue #6)')
    .allowUnknownOption()
    .allowExcessArguments()
    .action(() => {
      throw new ScmixError('INTERNAL', '`scmix report` is not available yet: it arrives with issue #6.');
    });
}
