/**
 * LDVAE state <-> named tensors with scvi-tools state_dict names and PyTorch layouts: the one
 * code path used by checkpoints, the golden-vector tests and the reference-weights loader.
 */
import type { TensorEntry, TensorInput } from '../../io/index.js';
import { ScmixError } from '../../errors.js';
import { type LdvaeState, fromTorchLayout, toTorchLayout } from './params.js';

/** Named tensors of the state (F32, num_batches_tracked as I64 [1]... scalar shape as torch: []). */
export function stateToTensors(state: LdvaeState): Map<string, TensorInput> {
  const out = new Map<string, TensorInput>();
  for (const sp of state.specs) {
    if (sp.kind === 'count') out.set(sp.name, { dtype: 'I64', shape: [], data: BigInt64Array.of(state.counts.get(sp.name) ?? 0n) });
    else out.set(sp.name, { dtype: 'F32', shape: [...sp.shape], data: toTorchLayout(state, sp.name) });
  }
  return out;
}

/**
 * Fill `state` from tensors named `${prefix}${scvi name}`. Every tensor of the model must be
 * present; num_batches_tracked may be [] or [1] (torch saves a 0-d tensor; some exporters add a
 * dimension) and may be absent (then 0). Extra tensors are ignored.
 * @throws ScmixError CHECKPOINT_INCOMPATIBLE naming the file and the tensor.
 */
export function loadStateTensors(state: LdvaeState, tensors: Map<string, Pick<TensorEntry, 'shape' | 'data'>>, file: string, prefix = ''): void {
  for (const sp of state.specs) {
    const e = tensors.get(prefix + sp.name);
    if (sp.kind === 'count') {
      if (!e) continue;
      const v = e.data[0];
      state.counts.set(sp.name, typeof v === 'bigint' ? v : BigInt(Math.round(Number(v))));
      continue;
    }
    if (!e) throw new ScmixError('CHECKPOINT_INCOMPATIBLE', `${file}: tensor "${prefix}${sp.name}" is missing`, { hint: 'the file is not an LDVAE checkpoint of this architecture (nLayers, nHidden, nLatent, genes)' });
    if (e.data instanceof BigInt64Array) throw new ScmixError('CHECKPOINT_INCOMPATIBLE', `${file}: tensor "${prefix}${sp.name}" is integer, expected float`);
    const shape = sp.shape.length === 2 && sp.shape[0] === 1 && sp.shape[1] === 1 && e.shape.length !== 2 ? [1, 1] : e.shape;
    fromTorchLayout(state, sp.name, e.data as ArrayLike<number>, shape, file);
  }
}
