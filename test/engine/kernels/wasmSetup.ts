/**
 * Shared setup of the WASM-vs-reference kernel tests: a 2-thread and a 1-thread backend per test
 * file, seeded data placed in engine memory, and comparison helpers.
 */
import assert from 'node:assert/strict';
import { after, before } from 'node:test';
import { Rng } from '../../../src/data/rng.js';
import type { Backend, CsrView } from '../../../src/engine/backend.js';
import { createWasmBackend, referenceBackend, type WasmBackend } from '../../../src/engine/backends/index.js';
import { randArray } from '../helpers.js';

export const ref = referenceBackend();

/** Registers before/after hooks; the returned object's w1 (1 thread) / w2 (2 threads) are live inside tests. */
export function useBackends(): { w1: WasmBackend; w2: WasmBackend } {
  const b = {} as { w1: WasmBackend; w2: WasmBackend };
  before(async () => {
    b.w2 = await createWasmBackend({ threads: 2 });
    b.w1 = await createWasmBackend({ threads: 1 });
  });
  after(async () => {
    await b.w2.close();
    await b.w1.close();
  });
  return b;
}

/** Seeded Float32 data inside the backend's memory (and a plain copy for the reference). */
export function data(be: Backend, rng: Rng, n: number, lo = -1, hi = 1): Float32Array {
  const a = be.allocF32(n);
  a.set(randArray(rng, n, lo, hi));
  return a;
}
export function copyTo(be: Backend, src: Float32Array): Float32Array {
  const a = be.allocF32(src.length);
  a.set(src);
  return a;
}
export function csrIn(be: Backend, A: CsrView): CsrView {
  const indptr = be.allocI32(A.indptr.length), indices = be.allocI32(A.indices.length), values = be.allocF32(A.values.length);
  indptr.set(A.indptr);
  indices.set(A.indices);
  values.set(A.values);
  return { nRows: A.nRows, nCols: A.nCols, indptr, indices, values };
}
/** |got - want| <= 2e-6 * bound elementwise (bound = the same product on absolute values). */
export function within(got: Float32Array, want: Float32Array, bound: Float32Array, what: string): void {
  for (let i = 0; i < want.length; i++) {
    assert.ok(Math.abs(got[i] - want[i]) <= 2e-6 * bound[i] + 1e-30, `${what} @${i}: ${got[i]} vs ${want[i]} (bound ${bound[i]})`);
  }
}
export const bitEqual = (a: Float32Array, b: Float32Array, what: string) =>
  assert.ok(Buffer.compare(Buffer.from(a.buffer, a.byteOffset, a.byteLength), Buffer.from(b.buffer, b.byteOffset, b.byteLength)) === 0, `${what}: not bitwise equal`);
