// Runs the scmix CLI in-process from source (tests and manual checks): `npx tsx test/io/formats/runCli.ts inspect FILE`.
import { runCli } from '../../../src/cli/main.js';
process.exitCode = await runCli(['node', 'scmix', ...process.argv.slice(2)]);
