import type { Backend, F32 } from '../backend.js';
import type { Tensor } from './tensor.js';

/** A set of parameters sharing a weight decay. */
export interface ParamGroup {
  params: Tensor[];
  weightDecay: number;
}

export interface AdamOptions {
  lr: number;
  beta1?: number; // default 0.9
  beta2?: number; // default 0.999
  eps?: number; // default 1e-8
}

/**
 * Adam with moments held per parameter (exp_avg, exp_avg_sq as torch) over backend.adamStep.
 * `decoupled` false: L2 weight decay added to the gradient (torch.optim.Adam, scvi-tools);
 * true: decoupled decay param -= lr * wd * param (torch.optim.AdamW, Hugging Face).
 * Parameters must have unique, non-empty names (they key the saved state).
 */
export class AdamBase {
  readonly backend: Backend;
  readonly groups: ParamGroup[];
  readonly beta1: number;
  readonly beta2: number;
  readonly eps: number;
  readonly decoupled: boolean;
  lr: number;
  /** Optimizer steps taken (1-based bias correction uses step + 1 for the next step). */
  step = 0;
  private readonly m = new Map<Tensor, F32>();
  private readonly v = new Map<Tensor, F32>();

  constructor(backend: Backend, groups: ParamGroup[], opts: AdamOptions, decoupled: boolean) {
    this.backend = backend;
    this.groups = groups;
    this.lr = opts.lr;
    this.beta1 = opts.beta1 ?? 0.9;
    this.beta2 = opts.beta2 ?? 0.999;
    this.eps = opts.eps ?? 1e-8;
    this.decoupled = decoupled;
    const seen = new Set<string>();
    for (const g of groups) {
      for (const p of g.params) {
        if (!p.name || seen.has(p.name)) throw new RangeError(`optimizer parameters need unique names (got '${p.name}')`);
        if (!p.grad) throw new RangeError(`optimizer parameter '${p.name}' has no grad buffer`);
        seen.add(p.name);
        this.m.set(p, backend.allocF32(p.size));
        this.v.set(p, backend.allocF32(p.size));
      }
    }
  }

  /** All parameters in group order. */
  get params(): Tensor[] {
    return this.groups.flatMap((g) => g.params);
  }

  /** One update with the current grads; `lr` overrides this.lr for this step (schedules). */
  stepWith(lr: number = this.lr): void {
    this.step++;
    for (const g of this.groups) {
      const tensors = g.params.map((p) => ({ param: p.data.subarray(0, p.size), grad: p.grad!.subarray(0, p.size), m: this.m.get(p)!.subarray(0, p.size), v: this.v.get(p)!.subarray(0, p.size) }));
      this.backend.adamSteps(tensors, lr, this.beta1, this.beta2, this.eps, g.weightDecay, this.decoupled, this.step);
    }
  }

  /** Set every grad to zero. */
  zeroGrad(): void {
    for (const p of this.params) this.backend.fill(p.size, 0, p.grad!);
  }

  /** Moments keyed `<param>.exp_avg` / `<param>.exp_avg_sq` (views, not copies) and the step count. */
  stateTensors(): { step: number; tensors: Map<string, F32> } {
    const tensors = new Map<string, F32>();
    for (const p of this.params) {
      tensors.set(`${p.name}.exp_avg`, this.m.get(p)!);
      tensors.set(`${p.name}.exp_avg_sq`, this.v.get(p)!);
    }
    return { step: this.step, tensors };
  }

  /** Restore state saved by stateTensors. @throws RangeError on a missing or mis-sized moment */
  loadStateTensors(step: number, tensors: Map<string, ArrayLike<number>>): void {
    for (const p of this.params) {
      for (const [key, buf] of [[`${p.name}.exp_avg`, this.m.get(p)!], [`${p.name}.exp_avg_sq`, this.v.get(p)!]] as const) {
        const src = tensors.get(key);
        if (!src || src.length !== buf.length) throw new RangeError(`optimizer state '${key}' is missing or has the wrong size`);
        buf.set(src);
      }
    }
    this.step = step;
  }

  /** Free the moment buffers. */
  dispose(): void {
    for (const b of [...this.m.values(), ...this.v.values()]) this.backend.free(b);
    this.m.clear();
    this.v.clear();
  }
}

/** torch.optim.Adam: L2 weight decay added to the gradient. */
export class Adam extends AdamBase {
  constructor(backend: Backend, groups: ParamGroup[], opts: AdamOptions) {
    super(backend, groups, opts, false);
  }
}

/** torch.optim.AdamW / Hugging Face: decoupled weight decay. */
export class AdamW extends AdamBase {
  constructor(backend: Backend, groups: ParamGroup[], opts: AdamOptions) {
    super(backend, groups, opts, true);
  }
}
