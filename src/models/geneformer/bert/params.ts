import type { Backend } from '../../../engine/index.js';
import { parameter, type Tensor } from '../../../engine/index.js';
import { Rng } from '../../../data/rng.js';
import type { BertModelConfig } from './config.js';

/** One encoder layer's parameters, named as Hugging Face BertLayer. */
export interface BertLayerParams {
  q: Tensor; qb: Tensor; k: Tensor; kb: Tensor; v: Tensor; vb: Tensor; // [H, H], [H]
  o: Tensor; ob: Tensor; ln1g: Tensor; ln1b: Tensor; // attention output dense + LayerNorm
  f1: Tensor; f1b: Tensor; f2: Tensor; f2b: Tensor; // [F, H], [F], [H, F], [H]
  ln2g: Tensor; ln2b: Tensor;
}

/** All parameters of BertForMaskedLM (the decoder weight is tied to `word`). */
export interface BertParams {
  word: Tensor; // [V, H]
  pos: Tensor; // [P, H]
  type: Tensor; // [2, H]
  embLnG: Tensor; embLnB: Tensor;
  layers: BertLayerParams[];
  headW: Tensor; headB: Tensor; // transform dense [H, H]
  headLnG: Tensor; headLnB: Tensor;
  decoderBias: Tensor; // [V]
  /** Every parameter in a fixed order, each named with its HF state-dict key. */
  all: Tensor[];
}

/**
 * Allocate the parameters with Hugging Face initialisation: Linear and Embedding weights
 * N(0, initializerRange²), the <pad> embedding row zero, biases 0, LayerNorm (1, 0), decoder
 * bias 0. Draws happen in `all` order from one Rng(seed), so the init is reproducible.
 * `seed` null: all zeros (the caller loads weights).
 */
export function createBertParams(backend: Backend, c: BertModelConfig, seed: number | null): BertParams {
  const H = c.hiddenSize;
  const F = c.intermediateSize;
  const all: Tensor[] = [];
  const mk = (shape: number[], name: string): Tensor => {
    const p = parameter((n) => backend.allocF32(n), shape, name);
    all.push(p);
    return p;
  };
  const e = 'bert.embeddings.';
  const word = mk([c.vocabSize, H], `${e}word_embeddings.weight`);
  const pos = mk([c.maxPositionEmbeddings, H], `${e}position_embeddings.weight`);
  const type = mk([c.typeVocabSize, H], `${e}token_type_embeddings.weight`);
  const embLnG = mk([H], `${e}LayerNorm.weight`);
  const embLnB = mk([H], `${e}LayerNorm.bias`);
  const layers: BertLayerParams[] = [];
  for (let l = 0; l < c.numHiddenLayers; l++) {
    const p = `bert.encoder.layer.${l}.`;
    layers.push({
      q: mk([H, H], `${p}attention.self.query.weight`), qb: mk([H], `${p}attention.self.query.bias`),
      k: mk([H, H], `${p}attention.self.key.weight`), kb: mk([H], `${p}attention.self.key.bias`),
      v: mk([H, H], `${p}attention.self.value.weight`), vb: mk([H], `${p}attention.self.value.bias`),
      o: mk([H, H], `${p}attention.output.dense.weight`), ob: mk([H], `${p}attention.output.dense.bias`),
      ln1g: mk([H], `${p}attention.output.LayerNorm.weight`), ln1b: mk([H], `${p}attention.output.LayerNorm.bias`),
      f1: mk([F, H], `${p}intermediate.dense.weight`), f1b: mk([F], `${p}intermediate.dense.bias`),
      f2: mk([H, F], `${p}output.dense.weight`), f2b: mk([H], `${p}output.dense.bias`),
      ln2g: mk([H], `${p}output.LayerNorm.weight`), ln2b: mk([H], `${p}output.LayerNorm.bias`),
    });
  }
  const headW = mk([H, H], 'cls.predictions.transform.dense.weight');
  const headB = mk([H], 'cls.predictions.transform.dense.bias');
  const headLnG = mk([H], 'cls.predictions.transform.LayerNorm.weight');
  const headLnB = mk([H], 'cls.predictions.transform.LayerNorm.bias');
  const decoderBias = mk([c.vocabSize], 'cls.predictions.bias');

  if (seed === null) return { word, pos, type, embLnG, embLnB, layers, headW, headB, headLnG, headLnB, decoderBias, all };
  const rng = new Rng(seed);
  for (const p of all) {
    if (isLayerNormWeight(p.name)) p.data.fill(1);
    else if (p.shape.length === 2) for (let i = 0; i < p.size; i++) p.data[i] = rng.normal() * c.initializerRange;
    // biases and LayerNorm biases stay 0 (allocF32 zero-fills)
  }
  word.data.fill(0, c.padTokenId * H, c.padTokenId * H + H);
  return { word, pos, type, embLnG, embLnB, layers, headW, headB, headLnG, headLnB, decoderBias, all };
}

/** LayerNorm gamma (HF names, incl. old `gamma`). */
export function isLayerNormWeight(name: string): boolean {
  return /LayerNorm\.(weight|gamma)$/.test(name);
}

/** HF get_decay_parameter_names: decay everything except biases and LayerNorm parameters. */
export function usesWeightDecay(name: string): boolean {
  return !(name.endsWith('.bias') || name.endsWith('bias') || /LayerNorm\./.test(name));
}
