/**
 * LDVAE parameters and buffers under their scvi-tools state_dict names (docs/ldvae-spec.md 2.2).
 *
 * Layout rule: every tensor is stored exactly as PyTorch stores it (Linear weight [out, in]),
 * EXCEPT the first (sparse-input) Linear of each encoder, which is kept transposed as [G, H] so
 * that the CSR kernels (spmm forward; spmm / spmmAdam on log1p(X)^T for the weight gradient) read
 * and write it row-major without a transpose per step. `toTorchLayout` / `fromTorchLayout` convert at the checkpoint boundary.
 */
import type { Backend, F32 } from '../../engine/index.js';
import { Rng } from '../../data/rng.js';
import { ScmixError } from '../../errors.js';

export interface LdvaeDims {
  /** genes */ readonly G: number;
  /** hidden units */ readonly H: number;
  /** latent factors */ readonly K: number;
  /** z-encoder hidden layers */ readonly nLayers: number;
}

export type TensorKind = 'param' | 'buffer' | 'untrained' | 'count';

export interface TensorSpec {
  readonly name: string;
  /** shape as PyTorch stores it */
  readonly shape: readonly number[];
  /** param: trained by Adam; untrained: a Parameter that never gets a gradient (px_dropout_decoder); buffer: running stats / prior; count: num_batches_tracked (I64) */
  readonly kind: TensorKind;
  /** stored internally transposed ([in, out]) */
  readonly transposed: boolean;
  /** fan-in for PyTorch's default Linear init, 0 for non-Linear tensors */
  readonly fanIn: number;
  readonly init: 'linear' | 'ones' | 'zeros' | 'normal';
}

const zl = (i: number) => `z_encoder.encoder.fc_layers.Layer ${i}`;
const ll = 'l_encoder.encoder.fc_layers.Layer 0';
const dec = (head: string) => `decoder.${head}.fc_layers.Layer 0`;

/** Every tensor of the state_dict in scvi-tools order (44 for nLayers = 2). */
export function tensorSpecs(d: LdvaeDims): TensorSpec[] {
  const s: TensorSpec[] = [];
  const add = (name: string, shape: number[], kind: TensorKind, init: TensorSpec['init'], fanIn = 0, transposed = false) =>
    s.push({ name, shape, kind, init, fanIn, transposed });
  const bn = (prefix: string, n: number, trained: boolean) => {
    add(`${prefix}.1.weight`, [n], trained ? 'param' : 'untrained', 'ones');
    add(`${prefix}.1.bias`, [n], trained ? 'param' : 'untrained', 'zeros');
    add(`${prefix}.1.running_mean`, [n], 'buffer', 'zeros');
    add(`${prefix}.1.running_var`, [n], 'buffer', 'ones');
    add(`${prefix}.1.num_batches_tracked`, [1], 'count', 'zeros');
  };
  add('px_r', [d.G], 'param', 'normal');
  add('library_log_means', [1, 1], 'buffer', 'zeros');
  add('library_log_vars', [1, 1], 'buffer', 'ones');
  for (let i = 0; i < d.nLayers; i++) {
    const nIn = i === 0 ? d.G : d.H;
    add(`${zl(i)}.0.weight`, [d.H, nIn], 'param', 'linear', nIn, i === 0);
    add(`${zl(i)}.0.bias`, [d.H], 'param', 'linear', nIn);
    bn(zl(i), d.H, true);
  }
  for (const head of ['mean', 'var']) {
    add(`z_encoder.${head}_encoder.weight`, [d.K, d.H], 'param', 'linear', d.H);
    add(`z_encoder.${head}_encoder.bias`, [d.K], 'param', 'linear', d.H);
  }
  add(`${ll}.0.weight`, [d.H, d.G], 'param', 'linear', d.G, true);
  add(`${ll}.0.bias`, [d.H], 'param', 'linear', d.G);
  bn(ll, d.H, true);
  for (const head of ['mean', 'var']) {
    add(`l_encoder.${head}_encoder.weight`, [1, d.H], 'param', 'linear', d.H);
    add(`l_encoder.${head}_encoder.bias`, [1], 'param', 'linear', d.H);
  }
  for (const head of ['factor_regressor', 'px_dropout_decoder']) {
    const trained = head === 'factor_regressor';
    add(`${dec(head)}.0.weight`, [d.G, d.K], trained ? 'param' : 'untrained', 'linear', d.K);
    bn(dec(head), d.G, trained);
  }
  return s;
}

/** Model state: float tensors (internal layout) and the I64 batch counters. */
export interface LdvaeState {
  readonly dims: LdvaeDims;
  readonly specs: TensorSpec[];
  readonly t: Map<string, F32>;
  readonly counts: Map<string, bigint>;
}

export const sizeOf = (shape: readonly number[]) => shape.reduce((a, b) => a * b, 1);

/**
 * Fresh state with PyTorch's default init drawn from `rng` (Linear W, b ~ U(-1/sqrt(in), 1/sqrt(in)),
 * BN gamma 1 / beta 0, running mean 0 / var 1, px_r ~ N(0, 1)). Not bit-identical to torch's
 * stream (different generator), identical in distribution. The library prior is set by the caller.
 */
export function initState(backend: Backend, dims: LdvaeDims, rng: Rng): LdvaeState {
  const specs = tensorSpecs(dims);
  const t = new Map<string, F32>();
  const counts = new Map<string, bigint>();
  for (const sp of specs) {
    if (sp.kind === 'count') {
      counts.set(sp.name, 0n);
      continue;
    }
    const a = backend.allocF32(sizeOf(sp.shape));
    if (sp.init === 'ones') a.fill(1);
    else if (sp.init === 'normal') for (let i = 0; i < a.length; i++) a[i] = rng.normal();
    else if (sp.init === 'linear') {
      const bound = 1 / Math.sqrt(sp.fanIn);
      for (let i = 0; i < a.length; i++) a[i] = (2 * rng.uniform() - 1) * bound;
    }
    t.set(sp.name, a);
  }
  return { dims, specs, t, counts };
}

/** Copy of tensor `name` in PyTorch layout ([out, in] for Linear weights). */
export function toTorchLayout(state: LdvaeState, name: string): Float32Array {
  const sp = state.specs.find((s) => s.name === name);
  const a = state.t.get(name);
  if (!sp || !a) throw new ScmixError('INTERNAL', `no LDVAE tensor ${name}`);
  if (!sp.transposed) return Float32Array.from(a);
  return transpose(a, sp.shape[1], sp.shape[0]);
}

/**
 * Write `src` (PyTorch layout, shape checked) into tensor `name`.
 * @throws ScmixError CHECKPOINT_INCOMPATIBLE when the shape differs.
 */
export function fromTorchLayout(state: LdvaeState, name: string, src: ArrayLike<number>, shape: readonly number[], file: string): void {
  const sp = state.specs.find((s) => s.name === name);
  const a = state.t.get(name);
  if (!sp || !a) throw new ScmixError('INTERNAL', `no LDVAE tensor ${name}`);
  const same = sp.shape.length === shape.length && sp.shape.every((v, i) => v === shape[i]);
  if (!same) throw new ScmixError('CHECKPOINT_INCOMPATIBLE', `${file}: tensor "${name}" has shape [${shape}], the model expects [${sp.shape}]`);
  if (sp.transposed) a.set(transpose(src, sp.shape[0], sp.shape[1]));
  else a.set(src);
}

/** [R, C] row-major -> [C, R]. */
export function transpose(src: ArrayLike<number>, R: number, C: number): Float32Array {
  const out = new Float32Array(R * C);
  for (let r = 0; r < R; r++) for (let c = 0; c < C; c++) out[c * R + r] = src[r * C + c];
  return out;
}

/** Names of the tensors Adam updates (scvi: parameters whose .grad is not None). */
export const trainedNames = (state: LdvaeState) => state.specs.filter((s) => s.kind === 'param').map((s) => s.name);

export const names = { zl, ll, dec };
