/**
 * LDVAE checkpoint folder (docs/ARCHITECTURE.md run layout):
 *   model.safetensors      state_dict with scvi-tools names and PyTorch layouts (F32;
 *                          num_batches_tracked I64 0-d), loadable into scvi's LDVAE module
 *   optimizer.safetensors  Adam moments `exp_avg/<name>`, `exp_avg_sq/<name>` (metadata: step)
 *   model.json             formatVersion, config, genes (var_names), history, library prior,
 *                          seed, versions, optimizer step, training-data fingerprint, and the
 *                          sha256 of both tensor files
 *   history.json           the history rows alone
 * Every file is written atomically; model.json is written LAST and records the hashes of the
 * tensor files it belongs to, so a run killed between files leaves a folder that loads with a
 * clear CHECKPOINT_INCOMPATIBLE ("torn checkpoint") instead of mixing two epochs' tensors.
 */
import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { type Backend, getBackend } from '../../engine/index.js';
import { decodeSafetensors, encodeSafetensors, writeFileAtomic, type TensorInput } from '../../io/index.js';
import { ScmixError } from '../../errors.js';
import { SCMIX_VERSION } from '../../version.js';
import { LdvaeConfig } from './config.js';
import { initState } from './params.js';
import { loadStateTensors, stateToTensors } from './stateDict.js';
import { type AdamState, createAdamState } from './optimizer.js';
import { type LdvaeHistoryRow, LdvaeModel } from './model.js';
import { Rng } from '../../data/rng.js';

export const LDVAE_FORMAT_VERSION = 1;

interface ModelJson {
  formatVersion: number;
  modelKind: 'ldvae';
  versions: { scmix: string; equivalentTo: string };
  config: LdvaeConfig;
  seed: number;
  epochsDone: number;
  libraryPrior: { mean: number; variance: number };
  optimizer: { kind: 'adam'; step: number } | null;
  trainingData: { nCells: number; nnz: number; fingerprint: string } | null;
  files: Record<string, string>;
  genes: string[];
  history: LdvaeHistoryRow[];
}

const sha = (b: Uint8Array) => createHash('sha256').update(b).digest('hex');

/** Save the model (and its optimizer state when present) into `dir`, atomically per file. */
export function saveLdvae(model: LdvaeModel, dir: string): void {
  const files: Record<string, string> = {};
  const weights = encodeSafetensors(stateToTensors(model.state), { format: 'pt', producer: `scmix ${SCMIX_VERSION}` });
  writeFileAtomic(join(dir, 'model.safetensors'), weights);
  files['model.safetensors'] = sha(weights);
  if (model.optimizer) {
    const t = new Map<string, TensorInput>();
    for (const [name, m] of model.optimizer.m) {
      const shape = model.state.specs.find((s) => s.name === name)!.shape;
      // moments in the same (PyTorch) layout as the weights
      const sp = model.state.specs.find((s) => s.name === name)!;
      const v = model.optimizer.v.get(name)!;
      t.set(`exp_avg/${name}`, { dtype: 'F32', shape: [...shape], data: sp.transposed ? transposeCopy(m, shape) : Float32Array.from(m) });
      t.set(`exp_avg_sq/${name}`, { dtype: 'F32', shape: [...shape], data: sp.transposed ? transposeCopy(v, shape) : Float32Array.from(v) });
    }
    const bytes = encodeSafetensors(t, { step: String(model.optimizer.step) });
    writeFileAtomic(join(dir, 'optimizer.safetensors'), bytes);
    files['optimizer.safetensors'] = sha(bytes);
  }
  writeFileAtomic(join(dir, 'history.json'), JSON.stringify(model.history, null, 1) + '\n');
  const json: ModelJson = {
    formatVersion: LDVAE_FORMAT_VERSION,
    modelKind: 'ldvae',
    versions: { scmix: SCMIX_VERSION, equivalentTo: 'scvi-tools 1.1.x LinearSCVI / LDVAE module' },
    config: { ...model.config },
    seed: model.config.seed,
    epochsDone: model.epochsDone,
    libraryPrior: model.libraryPrior,
    optimizer: model.optimizer ? { kind: 'adam', step: model.optimizer.step } : null,
    trainingData: model.trainingData,
    files,
    genes: [...model.genes],
    history: model.history,
  };
  writeFileAtomic(join(dir, 'model.json'), JSON.stringify(json, null, 1) + '\n');
}

function transposeCopy(a: Float32Array, torchShape: readonly number[]): Float32Array {
  // internal [in, out] -> torch [out, in]
  const [out, inn] = torchShape;
  const r = new Float32Array(a.length);
  for (let i = 0; i < inn; i++) for (let o = 0; o < out; o++) r[o * inn + i] = a[i * out + o];
  return r;
}

/**
 * Load a checkpoint folder written by saveLdvae.
 * @throws ScmixError INPUT_MISSING, INPUT_FORMAT, CHECKPOINT_INCOMPATIBLE (other format/architecture, torn or edited files)
 */
export function loadLdvae(dir: string, opts: { backend?: Backend; withOptimizer?: boolean } = {}): LdvaeModel {
  const backend = opts.backend ?? getBackend();
  const jpath = join(dir, 'model.json');
  if (!existsSync(jpath)) throw new ScmixError('INPUT_MISSING', `${dir}: no model.json (not an LDVAE checkpoint folder)`);
  let j: ModelJson;
  try {
    j = JSON.parse(readFileSync(jpath, 'utf8')) as ModelJson;
  } catch (e) {
    throw new ScmixError('INPUT_FORMAT', `${jpath}: not valid JSON (${(e as Error).message})`);
  }
  if (j.modelKind !== 'ldvae' || j.formatVersion !== LDVAE_FORMAT_VERSION) {
    throw new ScmixError('CHECKPOINT_INCOMPATIBLE', `${jpath}: modelKind ${String(j.modelKind)} / formatVersion ${String(j.formatVersion)}; expected ldvae / ${LDVAE_FORMAT_VERSION}`);
  }
  const parsed = LdvaeConfig.safeParse(j.config);
  if (!parsed.success) throw new ScmixError('CHECKPOINT_INCOMPATIBLE', `${jpath}: config is invalid (${parsed.error.issues[0]?.message})`);
  const cfg = Object.freeze(parsed.data);
  const read = (name: string) => {
    const p = join(dir, name);
    if (!existsSync(p)) throw new ScmixError('INPUT_MISSING', `${p}: file not found`);
    const bytes = readFileSync(p);
    if (j.files?.[name] && sha(bytes) !== j.files[name]) {
      throw new ScmixError('CHECKPOINT_INCOMPATIBLE', `${p}: content does not match model.json (torn or edited checkpoint)`, { hint: 'the run was probably killed while saving; resume from an earlier copy or retrain' });
    }
    return decodeSafetensors(bytes, p);
  };
  const G = j.genes.length;
  const state = initState(backend, { G, H: cfg.nHidden, K: cfg.nLatent, nLayers: cfg.nLayers }, new Rng(0));
  loadStateTensors(state, read('model.safetensors').tensors, join(dir, 'model.safetensors'));
  let optimizer: AdamState | null = null;
  if (opts.withOptimizer && j.optimizer && existsSync(join(dir, 'optimizer.safetensors'))) {
    const o = read('optimizer.safetensors');
    optimizer = createAdamState(backend, state);
    optimizer.step = Number(o.metadata.step ?? j.optimizer.step);
    for (const [name, m] of optimizer.m) {
      const sp = state.specs.find((s) => s.name === name)!;
      for (const [key, dst] of [[`exp_avg/${name}`, m], [`exp_avg_sq/${name}`, optimizer.v.get(name)!]] as const) {
        const e = o.tensors.get(key);
        if (!e || e.data.length !== dst.length) throw new ScmixError('CHECKPOINT_INCOMPATIBLE', `${dir}/optimizer.safetensors: "${key}" missing or of the wrong size`);
        const src = e.data as Float32Array;
        if (sp.transposed) {
          const [out, inn] = sp.shape;
          for (let o2 = 0; o2 < out; o2++) for (let i = 0; i < inn; i++) dst[i * out + o2] = src[o2 * inn + i];
        } else dst.set(src);
      }
    }
  }
  return new LdvaeModel(backend, cfg, j.genes, state, j.history ?? [], j.libraryPrior, optimizer, j.trainingData ?? null);
}
