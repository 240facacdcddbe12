import type { Command } from 'commander';
import { ScmixError } from '../../errors.js';

// Placeholder until issue #5 lands: the command exists so --help lists it, and says so honestly.
export function register(program: Command): void {
  program
    .command('run')
    .description('run a whole study: build, train, evaluate, report (arrives with issue #5)')
    .allowUnknownOption()
    .allowExcessArguments()
    .action(() => {
      throw new ScmixError('INTERNAL', '`scmix run` is not available yet: it arrives with issue #5.');
    });
}
