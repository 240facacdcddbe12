import type { Command } from 'commander';
import { ScmixError } from '../../errors.js';

// Placeholder until issue #5 lands: the command exists so --help lists it, and says so honestly.
export function register(program: Command): void {
  program
    .command('build')
    .description('build the corpora of a study.yaml (arrives with issue #5)')
    .allowUnknownOption()
    .allowExcessArguments()
    .action(() => {
      throw new ScmixError('INTERNAL', '`scmix build` is not available yet: it arrives with issue #5.');
    });
}
