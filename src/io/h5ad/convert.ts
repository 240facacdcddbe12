/**
 * Typed-array conversions from what HDF5 stores to what scmix holds in memory.
 * 64-bit integers are converted through their two 32-bit words instead of BigInt (about 10x
 * faster); values above 2^53 lose precision, which no count matrix reaches.
 */
import type { NativeArray } from './h5.js';

function int64Words(a: BigInt64Array | BigUint64Array): Int32Array {
  return new Int32Array(a.buffer, a.byteOffset, a.length * 2);
}

/** Any numeric array -> Float64Array (exact for integers below 2^53). */
export function toFloat64(a: NativeArray): Float64Array {
  if (a instanceof Float64Array) return a;
  const out = new Float64Array(a.length);
  if (a instanceof BigInt64Array) {
    const w = int64Words(a);
    for (let i = 0; i < a.length; i++) out[i] = w[2 * i + 1] * 4294967296 + (w[2 * i] >>> 0);
  } else if (a instanceof BigUint64Array) {
    const w = int64Words(a);
    for (let i = 0; i < a.length; i++) out[i] = (w[2 * i + 1] >>> 0) * 4294967296 + (w[2 * i] >>> 0);
  } else {
    out.set(a);
  }
  return out;
}

/** Any numeric array -> Float32Array (counts and values of X). */
export function toFloat32(a: NativeArray): Float32Array {
  if (a instanceof Float32Array) return a;
  if (a instanceof BigInt64Array || a instanceof BigUint64Array) return Float32Array.from(toFloat64(a));
  const out = new Float32Array(a.length);
  out.set(a);
  return out;
}

/** Column indices -> Int32Array. Callers range-check against the column count afterwards. */
export function toInt32(a: NativeArray): Int32Array {
  if (a instanceof Int32Array) return a;
  if (a instanceof BigInt64Array || a instanceof BigUint64Array) {
    const w = int64Words(a);
    const out = new Int32Array(a.length);
    // An index >= 2^31 (hi word != 0) cannot be a column; mark it -1 so the range check fails.
    for (let i = 0; i < a.length; i++) out[i] = w[2 * i + 1] === 0 && w[2 * i] >= 0 ? w[2 * i] : -1;
    return out;
  }
  if (a instanceof Uint32Array) {
    const out = new Int32Array(a.length);
    for (let i = 0; i < a.length; i++) out[i] = a[i] > 0x7fffffff ? -1 : a[i];
    return out;
  }
  const out = new Int32Array(a.length);
  out.set(a as ArrayLike<number>);
  return out;
}

/** 0/1 bytes from an enum-bool (int8) or numeric array. */
export function toBool(a: NativeArray): Uint8Array {
  const out = new Uint8Array(a.length);
  if (a instanceof BigInt64Array || a instanceof BigUint64Array) {
    for (let i = 0; i < a.length; i++) out[i] = a[i] !== 0n ? 1 : 0;
  } else {
    for (let i = 0; i < a.length; i++) out[i] = a[i] !== 0 ? 1 : 0;
  }
  return out;
}
