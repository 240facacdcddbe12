/**
 * Adam as scvi-tools' TrainingPlan configures torch.optim.Adam: L2 weight decay added to the
 * gradient (not AdamW), eps 0.01, applied only to parameters that receive a gradient (the
 * px_dropout_decoder head is skipped entirely, no decay either).
 */
import type { Backend, F32 } from '../../engine/index.js';
import type { LdvaeState } from './params.js';
import { trainedNames } from './params.js';

export interface AdamState {
  /** number of steps taken (the next step is step + 1, 1-based bias correction) */
  step: number;
  readonly m: Map<string, F32>;
  readonly v: Map<string, F32>;
}

export interface AdamHyper {
  readonly lr: number;
  readonly adamBeta1: number;
  readonly adamBeta2: number;
  readonly adamEps: number;
  readonly weightDecay: number;
}

export function createAdamState(backend: Backend, state: LdvaeState): AdamState {
  const m = new Map<string, F32>();
  const v = new Map<string, F32>();
  for (const name of trainedNames(state)) {
    const n = state.t.get(name)!.length;
    m.set(name, backend.allocF32(n));
    v.set(name, backend.allocF32(n));
  }
  return { step: 0, m, v };
}

/**
 * One Adam step on every trained tensor except those in `done` (already stepped inside the backward
 * pass, module.ts StepOptions.adam).
 */
export function adamUpdate(backend: Backend, state: LdvaeState, grads: Map<string, F32>, opt: AdamState, h: AdamHyper, done: readonly string[] = []): void {
  opt.step++;
  const tensors = [...opt.m].filter(([name]) => !done.includes(name)).map(([name, m]) => ({ param: state.t.get(name)!, grad: grads.get(name)!, m, v: opt.v.get(name)! }));
  backend.adamSteps(tensors, h.lr, h.adamBeta1, h.adamBeta2, h.adamEps, h.weightDecay, false, opt.step);
}
