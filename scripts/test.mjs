#!/usr/bin/env node
// `npm test [-- paths...]`: every test/**/*.test.ts under Node's own test runner, TypeScript via tsx.
// Node 20 has no glob support in --test, so the files are listed here.
import { spawnSync } from 'node:child_process';
import { readdirSync, statSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const walk = (p) =>
  statSync(p).isDirectory()
    ? readdirSync(p).sort().flatMap((n) => (n === 'fixtures' ? [] : walk(join(p, n))))
    : p.endsWith('.test.ts') ? [p] : [];
const args = process.argv.slice(2);
const targets = args.length ? args.map((a) => join(root, a)) : [join(root, 'test')];
const files = targets.flatMap(walk).map((f) => relative(root, f));
if (files.length === 0) {
  console.error('no test files found under ' + targets.join(', '));
  process.exit(1);
}
const r = spawnSync(process.execPath, ['--import', 'tsx', '--test', '--test-reporter=spec', ...files], {
  cwd: root,
  stdio: 'inherit',
});
process.exit(r.status ?? 1);
