/**
 * Reverse-mode autograd over the Backend kernels: Tensor, Tape, ops, optimisers, schedules.
 * Every op takes the Tape first: `const y = linear(t, x, W, b); // [M, out]`.
 */
export { Tensor, parameter } from './tensor.js';
export { Tape, accumulate } from './tape.js';
export { matmul, linear } from './ops/linalg.js';
export { add, sub, mul, scale, addBias, unary, relu, gelu, tanh, exp, log, dropout } from './ops/elementwise.js';
export { softmax, logSoftmax, crossEntropy } from './ops/softmax.js';
export { layerNorm, batchNorm } from './ops/norm.js';
export type { BatchNormState } from './ops/norm.js';
export { reshape, sliceRows, gatherRows, embedding } from './ops/shape.js';
export { sum, mean } from './ops/reduce.js';
export { attention } from './ops/attention.js';
export { attentionGemm } from './ops/attentionGemm.js';
export { gradcheck } from './gradcheck.js';
export type { GradcheckResult } from './gradcheck.js';
export { Adam, AdamW, AdamBase } from './adam.js';
export type { ParamGroup, AdamOptions } from './adam.js';
export { clipGradNorm } from './clipGradNorm.js';
export { linearWarmupDecay, klWeightAt } from './schedules.js';
export { saveTrainingState, loadTrainingState } from './stateIo.js';
