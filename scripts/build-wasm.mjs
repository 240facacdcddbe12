#!/usr/bin/env node
// Compiles the AssemblyScript kernels (src/engine/assembly) to build/scmix-simd.wasm and
// build/scmix-relaxed-simd.wasm (f32x4.relaxed_madd). Needs only node_modules (assemblyscript).
// Memory is imported and shared so every worker thread instantiates the same module on one memory.
import { mkdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import asc from 'assemblyscript/asc';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const entry = join(root, 'src/engine/assembly/index.ts');
mkdirSync(join(root, 'build'), { recursive: true });

const common = [
  entry, '--runtime', 'stub', '--noAssert', '-O3', '--importMemory', '--sharedMemory',
  '--initialMemory', '1', '--maximumMemory', '65536', '--enable', 'simd', '--enable', 'threads',
];
const builds = [
  { out: 'build/scmix-simd.wasm', extra: [] },
  { out: 'build/scmix-relaxed-simd.wasm', extra: ['--enable', 'relaxed-simd'] },
];
for (const b of builds) {
  const { error, stderr } = await asc.main([...common, ...b.extra, '--outFile', join(root, b.out)], {});
  if (error) {
    console.error(stderr.toString());
    console.error(`build-wasm: ${b.out} failed: ${error.message}`);
    process.exit(1);
  }
  console.log(`build-wasm: wrote ${b.out}`);
}
