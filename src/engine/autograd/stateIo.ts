// Direct file import (not io/index.js): the engine must not pull h5wasm and the format readers
// into every consumer of autograd.
import { readSafetensors, writeSafetensors, type TensorInput } from '../../io/safetensors.js';
import { ScmixError } from '../../errors.js';
import type { AdamBase } from './adam.js';
import type { Tensor } from './tensor.js';

/**
 * Parameter and optimizer state in one safetensors file:
 *   param/<name>                  parameter values (F32, parameter shape)
 *   optim/<name>.exp_avg(_sq)     Adam moments
 *   metadata: optimizer step and any caller scalars (JSON strings), so a run can resume exactly.
 */
export function saveTrainingState(
  path: string,
  state: { params: readonly Tensor[]; optimizer?: AdamBase; metadata?: Record<string, string> },
): void {
  const tensors = new Map<string, TensorInput>();
  for (const p of state.params) tensors.set(`param/${p.name}`, { dtype: 'F32', shape: [...p.shape], data: p.data });
  const meta: Record<string, string> = { ...(state.metadata ?? {}) };
  if (state.optimizer) {
    const s = state.optimizer.stateTensors();
    for (const [k, v] of s.tensors) tensors.set(`optim/${k}`, { dtype: 'F32', shape: [v.length], data: v });
    meta.optimizer_step = String(s.step);
    meta.optimizer_kind = state.optimizer.decoupled ? 'AdamW' : 'Adam';
  }
  writeSafetensors(path, tensors, meta);
}

/**
 * Load a file written by saveTrainingState into `params` (matched by name) and `optimizer`.
 * Returns the metadata. @throws INPUT_MISSING, INPUT_FORMAT, CHECKPOINT_INCOMPATIBLE
 */
export function loadTrainingState(path: string, params: readonly Tensor[], optimizer?: AdamBase): Record<string, string> {
  const st = readSafetensors(path);
  for (const p of params) {
    const e = st.tensors.get(`param/${p.name}`);
    if (!e || e.data.length !== p.size) {
      throw new ScmixError('CHECKPOINT_INCOMPATIBLE', `${path}: parameter '${p.name}' is ${e ? `of size ${e.data.length}, expected ${p.size}` : 'missing'}`);
    }
    p.data.set(e.data as Float32Array);
  }
  if (optimizer) {
    const m = new Map<string, ArrayLike<number>>();
    for (const [k, e] of st.tensors) if (k.startsWith('optim/')) m.set(k.slice(6), e.data as Float32Array);
    const kind = optimizer.decoupled ? 'AdamW' : 'Adam';
    if (st.metadata.optimizer_kind && st.metadata.optimizer_kind !== kind) {
      throw new ScmixError('CHECKPOINT_INCOMPATIBLE', `${path}: optimizer state is ${st.metadata.optimizer_kind}, expected ${kind}`);
    }
    try {
      optimizer.loadStateTensors(Number(st.metadata.optimizer_step ?? 0), m);
    } catch (e) {
      throw new ScmixError('CHECKPOINT_INCOMPATIBLE', `${path}: ${(e as Error).message}`);
    }
  }
  return st.metadata;
}
