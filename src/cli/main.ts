/**
 * The `scmix` CLI: a thin shell over the library. Each command lives in src/cli/commands/<name>.ts
 * and exports `register(program)`; the action turns flags into a config and calls the same
 * exported function a library user would. This is the only place that catches errors.
 */
import { Command, CommanderError } from 'commander';
import { ScmixError, exitCodeFor, isScmixError } from '../errors.js';
import { register as registerInspect } from './commands/inspect.js';
import { register as registerConvert } from './commands/convert.js';
import { register as registerSimulate } from './commands/simulate.js';
import { register as registerBuild } from './commands/build.js';
import { register as registerRun } from './commands/run.js';
import { register as registerDemo } from './commands/demo.js';
import { register as registerTrainLdvae } from './commands/trainLdvae.js';
import { register as registerLdvae } from './commands/ldvae.js';
import { register as registerTrainGeneformer } from './commands/trainGeneformer.js';
import { register as registerTokenize } from './commands/tokenize.js';
import { register as registerTokens } from './commands/tokens.js';
import { register as registerEmbed } from './commands/embed.js';
import { register as registerEval } from './commands/eval.js';
import { register as registerReport } from './commands/report.js';
import { SCMIX_VERSION } from '../version.js';

export function buildProgram(): Command {
  const program = new Command('scmix')
    .description('Training-data-composition studies for single-cell generative models')
    .version(SCMIX_VERSION)
    .showHelpAfterError()
    .exitOverride();
  const train = program.command('train').description('train a model on a corpus (ldvae | geneformer)');
  registerInspect(program);
  registerConvert(program);
  registerSimulate(program);
  registerBuild(program);
  registerRun(program);
  registerDemo(program);
  registerTrainLdvae(train);
  registerLdvae(program);
  registerTrainGeneformer(train);
  registerTokenize(program);
  registerTokens(program);
  registerEmbed(program);
  registerEval(program);
  registerReport(program);
  return program;
}

/** Runs the CLI and returns the exit status (never calls process.exit, so output is flushed). */
export async function runCli(argv: string[]): Promise<number> {
  const program = buildProgram();
  try {
    await program.parseAsync(argv);
    return 0;
  } catch (err) {
    return reportError(err);
  }
}

function reportError(err: unknown): number {
  if (err instanceof CommanderError) {
    // commander already printed help/version/usage errors
    return err.exitCode === 0 || err.code === 'commander.helpDisplayed' || err.code === 'commander.version' ? 0 : 2;
  }
  if (isScmixError(err)) {
    process.stderr.write(`scmix: ${err.message}\n`);
    if (err.hint) process.stderr.write(`  hint: ${err.hint}\n`);
    if (process.env.SCMIX_DEBUG && err.stack) process.stderr.write(err.stack + '\n');
    return exitCodeFor(err.code);
  }
  const e = err as Error;
  process.stderr.write(`scmix: internal error: ${e?.message ?? String(err)}\n`);
  if (e?.stack) process.stderr.write(e.stack + '\n');
  process.stderr.write('  hint: this is a bug in scmix; please report it with the command you ran.\n');
  return 1;
}

export { ScmixError };
