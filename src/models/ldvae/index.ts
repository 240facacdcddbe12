/** models/ldvae room: scvi-tools LinearSCVI (LDVAE) training, checkpoints and inference. */
export { LdvaeConfig, parseLdvaeConfig, klWeightForEpoch } from './config.js';
export type { LdvaeConfigInput } from './config.js';
export { trainLdvae, countsFingerprint } from './trainer.js';
export type { LdvaeTrainHooks } from './trainer.js';
export { loadLdvae, saveLdvae, LDVAE_FORMAT_VERSION } from './checkpoint.js';
export { LdvaeModel } from './model.js';
export type { LdvaeHistoryRow, NormalizedExpressionOptions, GeneResidualStats } from './model.js';
export { alignQuery } from './alignQuery.js';
export type { AlignResult } from './alignQuery.js';
export { loadReferenceWeights } from './referenceWeights.js';
export { tensorSpecs } from './params.js';
export type { LdvaeDims, TensorSpec } from './params.js';
export { checkCounts, libraryPrior, splitTrainValidation, batchBounds } from './cellBatches.js';
