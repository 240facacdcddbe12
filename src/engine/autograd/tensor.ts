import type { F32 } from '../backend.js';

/**
 * A dense float32 tensor: a backend buffer plus a shape (row-major). Ops read it as a matrix
 * [rows, cols] with cols = the last dimension. `grad` has the same size when the tensor takes part
 * in differentiation; parameters own their grad buffers, intermediate grads belong to the Tape.
 */
export class Tensor {
  readonly data: F32;
  readonly shape: readonly number[];
  grad: F32 | null;
  readonly requiresGrad: boolean;
  /** Stable name for parameters (checkpoint key, optimizer state key). */
  name: string;

  constructor(data: F32, shape: readonly number[], requiresGrad = false, grad: F32 | null = null, name = '') {
    const n = shape.reduce((a, b) => a * b, 1);
    if (data.length !== n) throw new RangeError(`Tensor data length ${data.length} does not match shape [${shape.join(', ')}]`);
    this.data = data;
    this.shape = Object.freeze([...shape]);
    this.requiresGrad = requiresGrad;
    this.grad = grad;
    this.name = name;
  }

  /** Number of elements. */
  get size(): number {
    return this.data.length;
  }

  /** Last dimension (matrix columns). */
  get cols(): number {
    return this.shape.length === 0 ? 1 : this.shape[this.shape.length - 1];
  }

  /** Product of all but the last dimension (matrix rows). */
  get rows(): number {
    return this.shape.length === 0 ? 1 : this.size / Math.max(1, this.cols);
  }
}

/** A parameter: persistent data and grad buffers from `alloc` (never freed by a Tape). */
export function parameter(alloc: (n: number) => F32, shape: readonly number[], name: string): Tensor {
  const n = shape.reduce((a, b) => a * b, 1);
  return new Tensor(alloc(n), shape, true, alloc(n), name);
}
