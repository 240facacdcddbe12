import type { Command } from 'commander';
import { ScmixError } from '../../errors.js';

// Placeholder until issue #7 lands: the command exists so --help lists it, and says so honestly.
export function register(program: Command): void {
  program
    .command('tokenize')
    .description('rank-value encode cells for Geneformer (arrives with issue #7)')
    .allowUnknownOption()
    .allowExcessArguments()
    .action(() => {
      throw new ScmixError('INTERNAL', '`scmix tokenize` is not available yet: it arrives with issue #7.');
    });
}
