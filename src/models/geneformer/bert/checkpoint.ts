import { existsSync, readFileSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { Backend } from '../../../engine/index.js';
import { getBackend } from '../../../engine/index.js';
// io files imported directly (not io/index.js) so that loading a model does not pull in h5wasm
import { readSafetensors, writeSafetensors, type TensorInput } from '../../../io/safetensors.js';
import { writeFileAtomic } from '../../../io/atomic.js';
import { ScmixError } from '../../../errors.js';
import { fromHfConfig, toHfConfig } from './config.js';
import { createBertParams } from './params.js';
import { GeneformerModel } from './model.js';

/**
 * Write a Hugging Face-layout checkpoint: `config.json` (BertConfig keys) and
 * `model.safetensors` (BertForMaskedLM state-dict names; Linear weights [out, in]). The tied
 * decoder weight is stored once, as `bert.embeddings.word_embeddings.weight` (transformers
 * re-ties it on load). Each file is written atomically.
 */
export function saveGeneformer(model: GeneformerModel, dir: string, metadata: Record<string, string> = {}): void {
  mkdirSync(dir, { recursive: true });
  const tensors = new Map<string, TensorInput>();
  for (const p of model.params.all) tensors.set(p.name, { dtype: 'F32', shape: [...p.shape], data: p.data });
  writeSafetensors(join(dir, 'model.safetensors'), tensors, { format: 'pt', ...metadata });
  writeFileAtomic(join(dir, 'config.json'), JSON.stringify(toHfConfig(model.config), null, 2) + '\n');
}

/** Old TF-converted checkpoints name LayerNorm parameters gamma/beta. */
function legacyName(name: string): string {
  return name.replace(/LayerNorm\.weight$/, 'LayerNorm.gamma').replace(/LayerNorm\.bias$/, 'LayerNorm.beta');
}

/**
 * Load a BertForMaskedLM checkpoint folder (`config.json` + `model.safetensors`), ours or a
 * public Hugging Face one. Accepted: missing `cls.predictions.decoder.*` (tied), legacy
 * gamma/beta names, F16/BF16 weights (widened), a `bert.`-less prefix is NOT guessed.
 * The model is in eval mode (no dropout), as from_pretrained.
 * @throws INPUT_MISSING (no folder/file), INPUT_FORMAT (bad JSON), CHECKPOINT_INCOMPATIBLE
 *   (unsupported config, missing tensor, wrong shape)
 */
export function loadGeneformer(dir: string, backend: Backend = getBackend()): GeneformerModel {
  const cfgPath = join(dir, 'config.json');
  const wPath = join(dir, 'model.safetensors');
  for (const p of [cfgPath, wPath]) {
    if (!existsSync(p)) {
      throw new ScmixError('INPUT_MISSING', `${p}: not found`, {
        hint: existsSync(join(dir, 'pytorch_model.bin')) ? 'this checkpoint is a pickle (pytorch_model.bin); convert it to model.safetensors first' : 'a Geneformer checkpoint folder holds config.json and model.safetensors',
      });
    }
  }
  let raw: Record<string, unknown>;
  try {
    raw = JSON.parse(readFileSync(cfgPath, 'utf8')) as Record<string, unknown>;
  } catch (e) {
    throw new ScmixError('INPUT_FORMAT', `${cfgPath}: not valid JSON (${(e as Error).message})`);
  }
  let config;
  try {
    config = fromHfConfig(raw);
  } catch (e) {
    throw new ScmixError('CHECKPOINT_INCOMPATIBLE', `${cfgPath}: ${(e as Error).message}`);
  }
  const st = readSafetensors(wPath);
  const params = createBertParams(backend, config, null);
  for (const p of params.all) {
    const e = st.tensors.get(p.name) ?? st.tensors.get(legacyName(p.name)) ??
      (p.name === 'cls.predictions.bias' ? st.tensors.get('cls.predictions.decoder.bias') : undefined);
    if (!e) throw new ScmixError('CHECKPOINT_INCOMPATIBLE', `${wPath}: tensor '${p.name}' is missing`);
    const same = e.shape.length === p.shape.length && e.shape.every((d, i) => d === p.shape[i]);
    if (!same) throw new ScmixError('CHECKPOINT_INCOMPATIBLE', `${wPath}: '${p.name}' has shape [${e.shape}], config.json implies [${p.shape}]`);
    if (!(e.data instanceof Float32Array || e.data instanceof Float64Array)) {
      throw new ScmixError('CHECKPOINT_INCOMPATIBLE', `${wPath}: '${p.name}' has dtype ${e.dtype}, expected a float type`);
    }
    p.data.set(e.data);
  }
  return new GeneformerModel(config, backend, params);
}
