import { z } from 'zod';

/**
 * BERT architecture (Hugging Face BertConfig fields, camelCase). Defaults = the study's
 * Geneformer V1 model (geneformer-spec §3): 6 layers, hidden 256, 4 heads, FFN 512, ReLU,
 * 2048 positions, vocabulary of the V1 token dictionary (25,426).
 */
export const BertModelConfig = z
  .object({
    vocabSize: z.number().int().min(3).default(25_426).describe('token vocabulary incl. <pad>=0 and <mask>=1 (V1 dictionary: 25,426)'),
    hiddenSize: z.number().int().positive().default(256).describe('hidden width H'),
    numHiddenLayers: z.number().int().positive().default(6).describe('encoder layers'),
    numAttentionHeads: z.number().int().positive().default(4).describe('attention heads (H must divide evenly)'),
    intermediateSize: z.number().int().positive().default(512).describe('FFN width'),
    hiddenAct: z.enum(['relu', 'gelu']).default('relu').describe('activation of the FFN and of the MLM head transform'),
    maxPositionEmbeddings: z.number().int().positive().default(2048).describe('longest input (learned absolute positions)'),
    typeVocabSize: z.number().int().positive().default(2).describe('token type rows (only row 0 is used)'),
    hiddenDropoutProb: z.number().min(0).max(0.99).default(0.02).describe('dropout after embeddings, attention output and FFN'),
    attentionProbsDropoutProb: z.number().min(0).max(0.99).default(0.02)
      .describe("dropout on attention probabilities (applied with attentionImpl 'gemm'; the fused kernels cannot)"),
    layerNormEps: z.number().positive().default(1e-12).describe('LayerNorm epsilon'),
    initializerRange: z.number().positive().default(0.02).describe('std of the normal weight init'),
    padTokenId: z.number().int().min(0).default(0).describe('<pad> id (its embedding row is zero and gets no lookup gradient)'),
    maskTokenId: z.number().int().min(0).default(1).describe('<mask> id used by the MLM collator'),
    attentionImpl: z.enum(['kernel', 'gemm']).default('gemm')
      .describe("how attention runs (same math): 'gemm' = per-head query tiles on GEMM + softmax kernels, 'kernel' = the backend's fused attention kernels. Not saved in config.json"),
  })
  .strict()
  .refine((c) => c.hiddenSize % c.numAttentionHeads === 0, { message: 'hiddenSize must be a multiple of numAttentionHeads' });
export type BertModelConfig = z.infer<typeof BertModelConfig>;

/** Pretraining settings. Defaults = the study (geneformer-spec §4.4) except the step budget. */
export const GeneformerTrainConfig = z
  .object({
    batchSize: z.number().int().positive().default(18).describe('cells per optimizer step (study: 18 per device)'),
    microBatchSize: z.number().int().positive().nullable().default(null)
      .describe('cells per forward/backward pass (gradient accumulation; null = batchSize). Lower it when memory is short: results equal the full batch up to dropout draws and float rounding'),
    epochs: z.number().int().positive().default(1).describe('passes over the token dataset'),
    maxSteps: z.number().int().positive().nullable().default(null).describe('stop after this many optimizer steps (overrides epochs for the schedule)'),
    lr: z.number().positive().default(1e-3).describe('peak learning rate'),
    warmupSteps: z.number().int().min(0).default(10_000).describe('linear warm-up steps, then linear decay to 0'),
    weightDecay: z.number().min(0).default(0.001).describe('AdamW decoupled decay (not on biases or LayerNorm weights)'),
    beta1: z.number().min(0).max(1).default(0.9),
    beta2: z.number().min(0).max(1).default(0.999),
    adamEps: z.number().positive().default(1e-8),
    maxGradNorm: z.number().positive().default(1.0).describe('gradient clipping by global L2 norm'),
    mlmProbability: z.number().gt(0).lt(1).default(0.15).describe('fraction of real tokens selected for the MLM loss'),
    neverMaskIds: z.array(z.number().int().min(0)).default([]).describe('special token ids never selected for masking besides <pad>/<mask> (V2: <cls>=2, <eos>=3; the CLI sets them for V2 token datasets)'),
    megaBatchMult: z.number().int().positive().default(50).describe('length grouping: sort by length within mega-batches of this many batches'),
    saveEvery: z.number().int().positive().default(50).describe('checkpoint every N steps (and at the end)'),
    logEvery: z.number().int().positive().default(50).describe('report a logging step every N steps'),
    seed: z.number().int().min(0).default(42).describe('seed for init, batch order, masking and dropout'),
  })
  .strict();
export type GeneformerTrainConfig = z.infer<typeof GeneformerTrainConfig>;

/** Model + training config, as read from `--config` (a preset name or a JSON file). */
export const GeneformerConfig = z
  .object({
    model: BertModelConfig.default(BertModelConfig.parse({})),
    train: GeneformerTrainConfig.default(GeneformerTrainConfig.parse({})),
  })
  .strict();
export type GeneformerConfig = z.infer<typeof GeneformerConfig>;
export type GeneformerConfigInput = z.input<typeof GeneformerConfig>;

/** Presets: `study` (the paper's model and optimizer) and `tiny` (tests, CI: seconds on 2 cores). */
export const GENEFORMER_PRESETS: Record<'study' | 'tiny', GeneformerConfigInput> = {
  // micro-batches of 1 cell: same gradient as the batch of 18, fits wasm32 memory at L = 2048,
  // no padding, and the attention probabilities stay cached for the backward
  study: { train: { microBatchSize: 1 } },
  tiny: {
    model: { hiddenSize: 32, numHiddenLayers: 2, numAttentionHeads: 2, intermediateSize: 64, maxPositionEmbeddings: 128 },
    train: { batchSize: 8, warmupSteps: 20, lr: 3e-3, saveEvery: 50, logEvery: 10 },
  },
};

/** Hugging Face config.json for a BertForMaskedLM with these settings. */
export function toHfConfig(c: BertModelConfig): Record<string, unknown> {
  return {
    architectures: ['BertForMaskedLM'],
    model_type: 'bert',
    attention_probs_dropout_prob: c.attentionProbsDropoutProb,
    hidden_act: c.hiddenAct,
    hidden_dropout_prob: c.hiddenDropoutProb,
    hidden_size: c.hiddenSize,
    initializer_range: c.initializerRange,
    intermediate_size: c.intermediateSize,
    layer_norm_eps: c.layerNormEps,
    max_position_embeddings: c.maxPositionEmbeddings,
    num_attention_heads: c.numAttentionHeads,
    num_hidden_layers: c.numHiddenLayers,
    pad_token_id: c.padTokenId,
    position_embedding_type: 'absolute',
    type_vocab_size: c.typeVocabSize,
    vocab_size: c.vocabSize,
    torch_dtype: 'float32',
    // unknown keys are kept as attributes by transformers; scmix reads it back
    mask_token_id: c.maskTokenId,
  };
}

/**
 * BertModelConfig from a Hugging Face config.json object. Missing keys take BertConfig's own
 * defaults (not the study's), so a public checkpoint loads as transformers would read it.
 * @throws Error with the offending key (the caller wraps it into CHECKPOINT_INCOMPATIBLE)
 */
export function fromHfConfig(j: Record<string, unknown>): BertModelConfig {
  const pet = j.position_embedding_type ?? 'absolute';
  if (pet !== 'absolute') throw new Error(`position_embedding_type '${String(pet)}' is not supported (only 'absolute')`);
  const act = j.hidden_act ?? 'gelu';
  if (act !== 'relu' && act !== 'gelu') throw new Error(`hidden_act '${String(act)}' is not supported (relu | gelu)`);
  return BertModelConfig.parse({
    vocabSize: j.vocab_size ?? 30522,
    hiddenSize: j.hidden_size ?? 768,
    numHiddenLayers: j.num_hidden_layers ?? 12,
    numAttentionHeads: j.num_attention_heads ?? 12,
    intermediateSize: j.intermediate_size ?? 3072,
    hiddenAct: act,
    maxPositionEmbeddings: j.max_position_embeddings ?? 512,
    typeVocabSize: j.type_vocab_size ?? 2,
    hiddenDropoutProb: j.hidden_dropout_prob ?? 0.1,
    attentionProbsDropoutProb: j.attention_probs_dropout_prob ?? 0.1,
    layerNormEps: j.layer_norm_eps ?? 1e-12,
    initializerRange: j.initializer_range ?? 0.02,
    padTokenId: j.pad_token_id ?? 0,
    maskTokenId: j.mask_token_id ?? 1,
  });
}
