/**
 * Backend selection. `createBackend` builds a backend and makes it the process default that
 * `getBackend()` returns; before any `createBackend` call `getBackend()` is the reference backend.
 */
import { z } from 'zod';
import { ScmixError } from '../../errors.js';
import type { Backend } from '../backend.js';
import { referenceBackend } from './reference.js';
import { createWasmBackend } from './wasm.js';

export { referenceBackend, unaryValue, unaryDerivative, dropoutScale } from './reference.js';
export { NB_EPS } from './referenceNn.js';
export { createWasmBackend, UNARY_OPS } from './wasm.js';
export { loadKernelModule, wasmDirs } from './wasmModule.js';
export type { WasmBackend, WasmBackendOptions } from './wasm.js';
// float64 special functions under one name: the autograd room exports ops called gelu, exp, ...
export * as special from './special.js';
export { lgamma, digamma, trigamma, erf, erfc } from './special.js';

export const BackendOptions = z
  .object({
    kind: z.enum(['auto', 'wasm', 'reference']).default('auto')
      .describe("'auto' = the WASM SIMD backend when it loads, else the reference backend; 'wasm' fails if it cannot load"),
    threads: z.number().int().min(1).max(256).optional()
      .describe('threads including the main thread; default os.availableParallelism()'),
    maxMemoryMiB: z.number().int().min(16).max(4096).optional()
      .describe('upper bound of the shared WebAssembly memory (default 4096 MiB, the wasm32 limit)'),
    simd: z.enum(['auto', 'relaxed', 'plain']).default('auto')
      .describe("kernel build: 'auto' = relaxed SIMD (f32x4.relaxed_madd) when this Node supports it, else plain SIMD"),
  })
  .strict();
export type BackendOptions = z.input<typeof BackendOptions>;

let current: Backend | undefined;

/**
 * Creates a backend and makes it the default returned by `getBackend()`.
 * @throws ScmixError CONFIG_INVALID for bad options; ENGINE_NOT_READY when kind 'wasm' cannot load.
 */
export async function createBackend(options: BackendOptions = {}): Promise<Backend> {
  const parsed = BackendOptions.safeParse(options);
  if (!parsed.success) {
    throw new ScmixError('CONFIG_INVALID', `backend options: ${parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`);
  }
  const opts = parsed.data;
  let backend: Backend;
  if (opts.kind === 'reference') backend = referenceBackend();
  else {
    try {
      backend = await createWasmBackend({ threads: opts.threads, maxMemoryMiB: opts.maxMemoryMiB, simd: opts.simd });
    } catch (e) {
      if (opts.kind === 'wasm') {
        throw e instanceof ScmixError ? e : new ScmixError('ENGINE_NOT_READY', `WASM backend failed to load: ${(e as Error).message}`, { cause: e, hint: 'run `npm run build` to compile the kernels' });
      }
      backend = referenceBackend();
    }
  }
  current = backend;
  return backend;
}

/** The process default backend (reference until `createBackend` or `setBackend` is called). */
export function getBackend(): Backend {
  current ??= referenceBackend();
  return current;
}

/** Replaces the process default backend (tests, or a caller that manages its own). */
export function setBackend(backend: Backend): void {
  current = backend;
}
