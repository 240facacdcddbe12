/**
 * Geneformer BERT (Hugging Face BertForMaskedLM layout): config, model, masked-LM pretraining,
 * checkpoints. See docs/notes/bert.md.
 */
export { BertModelConfig, GeneformerTrainConfig, GeneformerConfig, GENEFORMER_PRESETS, toHfConfig, fromHfConfig } from './config.js';
export type { GeneformerConfigInput } from './config.js';
export { GeneformerModel, createGeneformer } from './model.js';
export type { TokenBatch } from './module.js';
export { encode, mlmHead, mlmLoss } from './module.js';
export { createBertParams, usesWeightDecay } from './params.js';
export type { BertParams, BertLayerParams } from './params.js';
export { padBatch, maskTokens, lengthGroupedBatches, sliceMaskedBatch } from './batch.js';
export type { MaskedBatch } from './batch.js';
export { saveGeneformer, loadGeneformer } from './checkpoint.js';
export { trainGeneformer } from './trainer.js';
export type { TokenSource, GeneformerStepInfo, GeneformerTrainOptions, GeneformerTrainResult } from './trainer.js';
