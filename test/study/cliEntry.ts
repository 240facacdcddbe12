// Runs the scmix CLI from source (tests spawn it: the test runner owns this process's stdout).
import { runCli } from '../../src/cli/main.js';
process.exitCode = await runCli(process.argv);
