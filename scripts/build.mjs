#!/usr/bin/env node
// Build: WebAssembly kernels (AssemblyScript, npm-only toolchain), then TypeScript -> dist/.
// Runs from `npm ci` (prepare), so it must need nothing beyond node_modules.
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const run = (args) => execFileSync(process.execPath, args, { cwd: root, stdio: 'inherit' });

if (existsSync(join(root, 'scripts/build-wasm.mjs'))) run([join(root, 'scripts/build-wasm.mjs')]);
run([join(root, 'node_modules/typescript/bin/tsc'), '-p', 'tsconfig.build.json']);
