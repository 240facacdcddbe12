import type { Backend, F32, I32 } from '../backend.js';
import { deriveSeed } from '../../data/rng.js';
import { Tensor } from './tensor.js';

/**
 * Reverse-mode autodiff tape. Ops (src/engine/autograd/ops/*) allocate their outputs here and
 * record a backward closure next to the forward. Nodes are appended in creation order, which is
 * a topological order, so `backward` walks them in reverse; gradients accumulate (+=).
 *
 * The tape owns every buffer it allocates (activations, intermediate grads, saved statistics);
 * `dispose()` frees them all. Parameters are created outside and only receive grads.
 *
 * `training` switches dropout and BatchNorm batch statistics; `seed` + a per-tape counter give the
 * dropout streams, so two tapes built with the same seed and the same op sequence draw the same
 * masks (used by gradcheck and by resumable training).
 */
export class Tape {
  readonly backend: Backend;
  readonly training: boolean;
  /** False: ops record nothing (inference); outputs never require grad. */
  readonly recording: boolean;
  private readonly seed: number;
  private seedCounter = 0;
  private readonly nodes: Array<{ out: Tensor; backward: () => void }> = [];
  private readonly owned = new Set<F32 | I32>();
  private disposed = false;

  constructor(backend: Backend, opts: { training?: boolean; grad?: boolean; seed?: number } = {}) {
    this.backend = backend;
    this.training = opts.training ?? false;
    this.recording = opts.grad ?? true;
    this.seed = opts.seed ?? 0;
  }

  /** A tape-owned zero-filled float buffer. */
  f32(n: number): F32 {
    const b = this.backend.allocF32(n);
    this.owned.add(b);
    return b;
  }

  /** Free a tape-owned buffer early (backward scratch), so peak memory stays near the forward's. */
  release(buf: F32 | I32): void {
    if (this.owned.delete(buf)) this.backend.free(buf);
  }

  /** A tape-owned zero-filled int buffer. */
  i32(n: number): I32 {
    const b = this.backend.allocI32(n);
    this.owned.add(b);
    return b;
  }

  /** A new tape-owned output tensor; requires grad iff recording and any input requires grad. */
  output(shape: readonly number[], inputs: readonly Tensor[]): Tensor {
    const n = shape.reduce((a, b) => a * b, 1);
    return new Tensor(this.f32(n), shape, this.needsGrad(inputs));
  }

  /** A tape-owned constant tensor holding a copy of `values` (never requires grad). */
  constant(values: ArrayLike<number>, shape: readonly number[]): Tensor {
    const t = new Tensor(this.f32(values.length), shape, false);
    t.data.set(values);
    return t;
  }

  needsGrad(inputs: readonly Tensor[]): boolean {
    return this.recording && inputs.some((t) => t.requiresGrad);
  }

  /** Record the backward closure of an op whose output is `out` (no-op when nothing needs grad). */
  record(out: Tensor, backward: () => void): void {
    if (out.requiresGrad) this.nodes.push({ out, backward });
  }

  /** The grad buffer of `t`, allocated (zero) on first use; null when `t` needs no grad. */
  gradOf(t: Tensor): F32 | null {
    if (!t.requiresGrad) return null;
    if (t.grad === null) t.grad = this.f32(t.size);
    return t.grad;
  }

  /** A fresh dropout/kernel seed (deterministic in the op order). */
  nextSeed(): number {
    return deriveSeed(this.seed, 'tape', this.seedCounter++);
  }

  /**
   * Back-propagate from `root`. With no `seedGrad`, root must be a scalar and gets d root = 1;
   * otherwise `seedGrad` (same size as root) is the upstream gradient.
   */
  backward(root: Tensor, seedGrad?: ArrayLike<number>): void {
    if (!root.requiresGrad) throw new Error('backward(): the root does not depend on any parameter');
    const g = this.gradOf(root)!;
    if (seedGrad) {
      if (seedGrad.length !== root.size) throw new RangeError(`seed gradient has ${seedGrad.length} values for a tensor of ${root.size}`);
      for (let i = 0; i < g.length; i++) g[i] += seedGrad[i];
    } else {
      if (root.size !== 1) throw new RangeError(`backward() needs a scalar root, got shape [${root.shape.join(', ')}]`);
      g[0] += 1;
    }
    for (let i = this.nodes.length - 1; i >= 0; i--) {
      const { out, backward } = this.nodes[i];
      backward();
      // every consumer of `out` was created later and has already run: its grad is dead now
      // (views share the grad of their base, which is created earlier and freed after them)
      if (out.grad && out !== root && this.owned.has(out.grad)) {
        this.release(out.grad);
        out.grad = null;
      }
    }
    this.nodes.length = 0;
  }

  /** Free every buffer the tape allocated. Tensors created by this tape must not be used after. */
  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    for (const b of this.owned) this.backend.free(b);
    this.owned.clear();
    this.nodes.length = 0;
  }
}

/** Add `src` into `dst` (dst += src) through the backend. */
export function accumulate(backend: Backend, n: number, src: F32, dst: F32): void {
  backend.axpby(n, 1, src, 1, dst, dst);
}
