#!/usr/bin/env node
// `npm run bench -- <suite> [--json ...]`: runs bench/<suite>.ts (see BENCHMARKS.md).
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const [suite, ...rest] = process.argv.slice(2);
const file = suite && join(root, 'bench', `${suite}.ts`);
if (!file || !existsSync(file)) {
  const have = readdirSync(join(root, 'bench')).filter((f) => f.endsWith('.ts')).map((f) => f.slice(0, -3));
  console.error(`usage: npm run bench -- <suite> [--json]; suites: ${have.join(', ')}`);
  process.exit(2);
}
const r = spawnSync(process.execPath, ['--import', 'tsx', file, ...rest], { cwd: root, stdio: 'inherit' });
process.exit(r.status ?? 1);
