#!/usr/bin/env node
// Build: WebAssembly kernels (AssemblyScript, npm-only toolchain), then TypeScript -> dist/.
// Runs from `npm ci` (prepare), so it must need nothing beyond node_modules.
import { execFileSync } from 'node:child_process';
import { existsSync, lstatSync, mkdirSync, readdirSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const run = (args) => execFileSync(process.execPath, args, { cwd: root, stdio: 'inherit' });

// `npx scmix` inside this checkout looks in node_modules/.bin, where npm links the bins of
// dependencies but not the package's own: link it so the README's `npx scmix demo` works here.
const binDir = join(root, 'node_modules', '.bin');
if (existsSync(join(root, 'node_modules'))) {
  const link = join(binDir, 'scmix');
  mkdirSync(binDir, { recursive: true });
  try { lstatSync(link); rmSync(link, { force: true }); } catch { /* no old link */ }
  symlinkSync(join('..', '..', 'bin', 'scmix.js'), link);
}

// Skip when dist/ is newer than every input: `npx scmix` re-runs prepare on first use, and
// `npm ci` has just built everything.
const newest = (p) =>
  !existsSync(p) ? 0 : statSync(p).isDirectory()
    ? Math.max(0, ...readdirSync(p).map((n) => newest(join(p, n))))
    : statSync(p).mtimeMs;
const stamp = join(root, 'dist', '.build-stamp');
const inputs = ['src', 'scripts', 'package.json', 'tsconfig.json', 'tsconfig.build.json'].map((p) => newest(join(root, p)));
if (existsSync(stamp) && statSync(stamp).mtimeMs >= Math.max(...inputs) && !process.argv.includes('--force')) process.exit(0);

if (existsSync(join(root, 'scripts/build-wasm.mjs'))) run([join(root, 'scripts/build-wasm.mjs')]);
run([join(root, 'node_modules/typescript/bin/tsc'), '-p', 'tsconfig.build.json']);
writeFileSync(stamp, new Date().toISOString() + '\n');
