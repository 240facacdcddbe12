/**
 * Finds and compiles the kernel module. Two builds exist (scripts/build-wasm.mjs): plain SIMD and
 * relaxed SIMD (f32x4.relaxed_madd, ~25% faster GEMM). Relaxed is used when V8 validates it; on
 * Node 20 that needs --experimental-wasm-relaxed-simd, which is set at run time via v8 when possible.
 */
import { WA, type WasmModule } from './wasmApi.js';
import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import v8 from 'node:v8';
import { ScmixError } from '../../errors.js';

export interface KernelModule {
  module: WasmModule;
  /** 'wasm-simd' | 'wasm-relaxed-simd' */
  name: string;
  /** flags workers must set before instantiating (empty when none are needed) */
  v8Flags: string;
}

const RELAXED_FLAG = '--experimental-wasm-relaxed-simd';

/** Directories searched for the .wasm files: $SCMIX_WASM_DIR, then <package root>/build. */
export function wasmDirs(): string[] {
  const dirs: string[] = [];
  if (process.env.SCMIX_WASM_DIR) dirs.push(process.env.SCMIX_WASM_DIR);
  // src/engine/backends/*.ts (tsx) and dist/engine/backends/*.js both sit three levels below the root.
  dirs.push(fileURLToPath(new URL('../../../build/', import.meta.url)));
  return dirs;
}

function read(file: string): Uint8Array | undefined {
  for (const d of wasmDirs()) {
    const p = `${d.replace(/\/$/, '')}/${file}`;
    if (existsSync(p)) return readFileSync(p);
  }
  return undefined;
}

/**
 * @param simd 'auto' (relaxed when available), 'relaxed' (fail otherwise) or 'plain'
 * @throws ScmixError ENGINE_NOT_READY when no usable build is found
 */
export function loadKernelModule(simd: 'auto' | 'relaxed' | 'plain' = 'auto'): KernelModule {
  // Compiled modules are immutable: compile once per process and choice.
  let km = cache.get(simd);
  if (!km) {
    km = compile(simd);
    cache.set(simd, km);
  }
  return km;
}

const cache = new Map<string, KernelModule>();

function compile(simd: 'auto' | 'relaxed' | 'plain'): KernelModule {
  if (simd !== 'plain') {
    const relaxed = read('scmix-relaxed-simd.wasm');
    if (relaxed) {
      let flags = '';
      let ok = WA.validate(relaxed);
      if (!ok) {
        try {
          v8.setFlagsFromString(RELAXED_FLAG);
          ok = WA.validate(relaxed);
          flags = RELAXED_FLAG;
        } catch {
          ok = false;
        }
      }
      if (ok) {
        try {
          return { module: new WA.Module(relaxed), name: 'wasm-relaxed-simd', v8Flags: flags };
        } catch {
          // fall through to the plain build
        }
      }
    }
    if (simd === 'relaxed') throw new ScmixError('ENGINE_NOT_READY', 'the relaxed-SIMD kernel build is missing or not supported by this Node');
  }
  const plain = read('scmix-simd.wasm');
  if (!plain) {
    throw new ScmixError('ENGINE_NOT_READY', `kernel module build/scmix-simd.wasm not found (looked in ${wasmDirs().join(', ')})`, {
      hint: 'run `npm run build` (it compiles the AssemblyScript kernels)',
    });
  }
  if (!WA.validate(plain)) throw new ScmixError('ENGINE_NOT_READY', 'this Node does not support WebAssembly SIMD (needs Node >= 16.4)');
  return { module: new WA.Module(plain), name: 'wasm-simd', v8Flags: '' };
}
