/** Shared helpers for the engine tests: seeded inputs, float64 views, comparisons, finite differences. */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { Rng } from '../../src/data/rng.js';
import type { CsrView, F32 } from '../../src/engine/backend.js';

/** Uniform values in [lo, hi) from a seeded stream. */
export function randArray(rng: Rng, n: number, lo = -1, hi = 1): Float64Array {
  const a = new Float64Array(n);
  for (let i = 0; i < n; i++) a[i] = lo + (hi - lo) * rng.uniform();
  return a;
}

/**
 * The reference backend only indexes its arguments, so float64 arrays can be passed in place of
 * Float32Array for finite-difference checks in double precision.
 */
export const f64 = (a: Float64Array): F32 => a as unknown as F32;

/** Random CSR [nRows, nCols] with the given density and integer counts 1..maxCount. */
export function randCsr(rng: Rng, nRows: number, nCols: number, density: number, maxCount = 20): CsrView {
  const indptr = new Int32Array(nRows + 1);
  const idx: number[] = [];
  const val: number[] = [];
  for (let i = 0; i < nRows; i++) {
    for (let j = 0; j < nCols; j++) {
      if (rng.uniform() < density) {
        idx.push(j);
        val.push(1 + rng.int(maxCount));
      }
    }
    indptr[i + 1] = idx.length;
  }
  return { nRows, nCols, indptr, indices: Int32Array.from(idx), values: Float32Array.from(val) };
}

/** max |a - b| / (atol + rtol |b|) <= 1, with the worst index in the message. */
export function assertClose(actual: ArrayLike<number>, expected: ArrayLike<number>, rtol: number, atol: number, what = ''): void {
  assert.equal(actual.length >= expected.length, true, `${what}: length ${actual.length} < ${expected.length}`);
  let worst = 0;
  let at = -1;
  for (let i = 0; i < expected.length; i++) {
    const a = actual[i];
    const e = expected[i];
    if (Number.isNaN(e) && Number.isNaN(a)) continue;
    if (a === e) continue;
    const r = Math.abs(a - e) / (atol + rtol * Math.abs(e));
    if (!(r <= worst)) {
      worst = Number.isNaN(r) ? Infinity : r;
      at = i;
    }
  }
  assert.ok(worst <= 1, `${what}: at ${at} got ${actual[at]} expected ${expected[at]} (${worst.toFixed(2)}x tolerance)`);
}

/** Central finite difference of a scalar function along each coordinate of x (float64). */
export function numericGrad(x: Float64Array, f: () => number, h = 1e-6): Float64Array {
  const g = new Float64Array(x.length);
  for (let i = 0; i < x.length; i++) {
    const x0 = x[i];
    x[i] = x0 + h;
    const fp = f();
    x[i] = x0 - h;
    const fm = f();
    x[i] = x0;
    g[i] = (fp - fm) / (2 * h);
  }
  return g;
}

/** Dot product (the scalar loss <w, y> turns a vector output into something to differentiate). */
export function dot(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let s = 0;
  for (let i = 0; i < b.length; i++) s += a[i] * b[i];
  return s;
}

export interface SpecialTables {
  lgamma: [number, number][];
  digamma: [number, number][];
  trigamma: [number, number][];
  erf: [number, number][];
  gelu: [number, number][];
  nbLogPmf: [number, number, number, number][];
  adam: AdamFixture;
  adamw: AdamFixture;
}
export interface AdamFixture {
  p0: number[]; grads: number[][]; lr: number; beta1: number; beta2: number; eps: number; weightDecay: number; params: number[][];
}
export const specialTables = (): SpecialTables =>
  JSON.parse(readFileSync(new URL('./fixtures/special.json', import.meta.url), 'utf8')) as SpecialTables;
