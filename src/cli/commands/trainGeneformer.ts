import type { Command } from 'commander';
import { ScmixError } from '../../errors.js';

// Placeholder until issue #7 lands: the command exists so --help lists it, and says so honestly.
export function register(program: Command): void {
  program
    .command('geneformer')
    .description('pretrain a Geneformer-style BERT (arrives with issue #7)')
    .allowUnknownOption()
    .allowExcessArguments()
    .action(() => {
      throw new ScmixError('INTERNAL', '`scmix geneformer` is not available yet: it arrives with issue #7.');
    });
}
