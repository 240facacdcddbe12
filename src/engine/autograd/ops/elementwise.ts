import type { UnaryOp } from '../../backend.js';
import { Tensor } from '../tensor.js';
import { accumulate, type Tape } from '../tape.js';

function sameSize(op: string, a: Tensor, b: Tensor): void {
  if (a.size !== b.size) throw new RangeError(`${op}: shapes [${a.shape}] and [${b.shape}] differ`);
}

/** a + b (same shape). */
export function add(t: Tape, a: Tensor, b: Tensor): Tensor {
  sameSize('add', a, b);
  const be = t.backend;
  const out = t.output(a.shape, [a, b]);
  be.binary('add', a.size, a.data, b.data, out.data);
  t.record(out, () => {
    const dy = t.gradOf(out)!;
    const da = t.gradOf(a);
    const db = t.gradOf(b);
    if (da) accumulate(be, a.size, dy, da);
    if (db) accumulate(be, b.size, dy, db);
  });
  return out;
}

/** a - b (same shape). */
export function sub(t: Tape, a: Tensor, b: Tensor): Tensor {
  sameSize('sub', a, b);
  const be = t.backend;
  const out = t.output(a.shape, [a, b]);
  be.binary('sub', a.size, a.data, b.data, out.data);
  t.record(out, () => {
    const dy = t.gradOf(out)!;
    const da = t.gradOf(a);
    const db = t.gradOf(b);
    if (da) accumulate(be, a.size, dy, da);
    if (db) be.axpby(b.size, -1, dy, 1, db, db);
  });
  return out;
}

/** a * b elementwise (same shape). */
export function mul(t: Tape, a: Tensor, b: Tensor): Tensor {
  sameSize('mul', a, b);
  const be = t.backend;
  const out = t.output(a.shape, [a, b]);
  be.binary('mul', a.size, a.data, b.data, out.data);
  t.record(out, () => {
    const dy = t.gradOf(out)!;
    const da = t.gradOf(a);
    const db = t.gradOf(b);
    const tmp = t.f32(a.size);
    if (da) {
      be.binary('mul', a.size, dy, b.data, tmp);
      accumulate(be, a.size, tmp, da);
    }
    if (db) {
      be.binary('mul', a.size, dy, a.data, tmp);
      accumulate(be, a.size, tmp, db);
    }
    t.release(tmp);
  });
  return out;
}

/** s * x for a constant scalar s. */
export function scale(t: Tape, x: Tensor, s: number): Tensor {
  const be = t.backend;
  const out = t.output(x.shape, [x]);
  be.axpby(x.size, s, x.data, 0, out.data, out.data);
  t.record(out, () => {
    const dx = t.gradOf(x);
    if (dx) be.axpby(x.size, s, t.gradOf(out)!, 1, dx, dx);
  });
  return out;
}

/** x[M, N] + bias[N] on every row. */
export function addBias(t: Tape, x: Tensor, bias: Tensor): Tensor {
  if (bias.size !== x.cols) throw new RangeError(`addBias: bias of ${bias.size} for rows of ${x.cols}`);
  const be = t.backend;
  const out = t.output(x.shape, [x, bias]);
  out.data.set(x.data);
  be.addRowVector(x.rows, x.cols, out.data, bias.data);
  t.record(out, () => {
    const dy = t.gradOf(out)!;
    const dx = t.gradOf(x);
    const db = t.gradOf(bias);
    if (dx) accumulate(be, x.size, dy, dx);
    if (db) be.sumRows(x.rows, x.cols, dy, 1, db);
  });
  return out;
}

const KERNEL_BACKWARD = new Set<UnaryOp>(['relu', 'gelu', 'sigmoid', 'tanh', 'softplus', 'exp', 'log1p']);

/**
 * Elementwise f(x) for every backend UnaryOp. Gradients: relu, gelu (exact erf form, as torch
 * and HF "gelu"), sigmoid, tanh, softplus, exp, log1p through backend.unaryBackward; log, sqrt,
 * rsqrt, square, expm1, neg, abs and lgamma (d = digamma) from other kernels; digamma has no
 * gradient here (trigamma is not a kernel) and throws if a gradient is required.
 */
export function unary(t: Tape, op: UnaryOp, x: Tensor): Tensor {
  const be = t.backend;
  const out = t.output(x.shape, [x]);
  if (op === 'digamma' && out.requiresGrad) throw new RangeError('unary: digamma has no gradient (trigamma is not a kernel)');
  be.unary(op, x.size, x.data, out.data);
  t.record(out, () => {
    const dx = t.gradOf(x);
    if (!dx) return;
    const n = x.size;
    const dy = t.gradOf(out)!;
    const tmp = t.f32(n);
    if (KERNEL_BACKWARD.has(op)) be.unaryBackward(op, n, x.data, dy, tmp);
    else {
      // tmp = f'(x), then tmp *= dy
      switch (op) {
        case 'log': be.fill(n, 1, tmp); be.binary('div', n, tmp, x.data, tmp); break;
        case 'sqrt': be.fill(n, 0.5, tmp); be.binary('div', n, tmp, out.data, tmp); break;
        case 'rsqrt': // -0.5 * x^(-3/2) = -0.5 * out^3
          be.binary('mul', n, out.data, out.data, tmp); be.binary('mul', n, tmp, out.data, tmp); be.axpby(n, -0.5, tmp, 0, tmp, tmp); break;
        case 'square': be.axpby(n, 2, x.data, 0, tmp, tmp); break;
        case 'expm1': be.fill(n, 1, tmp); be.binary('add', n, tmp, out.data, tmp); break;
        case 'neg': be.fill(n, -1, tmp); break;
        case 'abs': for (let i = 0; i < n; i++) tmp[i] = x.data[i] > 0 ? 1 : x.data[i] < 0 ? -1 : 0; break;
        case 'lgamma': be.unary('digamma', n, x.data, tmp); break;
        default: throw new RangeError(`unary: no gradient rule for ${op}`);
      }
      be.binary('mul', n, tmp, dy, tmp);
    }
    accumulate(be, n, tmp, dx);
    t.release(tmp);
  });
  return out;
}

export const relu = (t: Tape, x: Tensor) => unary(t, 'relu', x);
export const gelu = (t: Tape, x: Tensor) => unary(t, 'gelu', x);
export const tanh = (t: Tape, x: Tensor) => unary(t, 'tanh', x);
export const exp = (t: Tape, x: Tensor) => unary(t, 'exp', x);
export const log = (t: Tape, x: Tensor) => unary(t, 'log', x);

/**
 * Inverted dropout with probability p, counter-based masks (backend.dropout with a tape seed),
 * so masks do not depend on thread count. Identity when the tape is not training or p = 0.
 */
export function dropout(t: Tape, x: Tensor, p: number): Tensor {
  if (!t.training || p === 0) return x;
  if (!(p > 0 && p < 1)) throw new RangeError(`dropout p must be in [0, 1), got ${p}`);
  const be = t.backend;
  const out = t.output(x.shape, [x]);
  const mask = t.f32(x.size);
  be.dropout(x.size, p, t.nextSeed(), 0, x.data, out.data, mask);
  t.record(out, () => {
    const dx = t.gradOf(x);
    if (!dx) return;
    const tmp = t.f32(x.size);
    be.binary('mul', x.size, t.gradOf(out)!, mask, tmp);
    be.axpby(x.size, 1 / (1 - p), tmp, 1, dx, dx);
    t.release(tmp);
    t.release(mask);
  });
  return out;
}
