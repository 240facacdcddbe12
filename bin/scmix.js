#!/usr/bin/env node
// The `scmix` command. The CLI lives in dist/ (built by `npm ci` through the prepare script).
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const main = join(dirname(fileURLToPath(import.meta.url)), '..', 'dist', 'cli', 'main.js');
if (!existsSync(main)) {
  console.error('scmix: dist/ is missing. Run `npm ci` (or `npm run build`) in the scmix folder first.');
  process.exit(70);
}
const { runCli } = await import(pathToFileURL(main).href);
process.exitCode = await runCli(process.argv);
