// Entry point of the kernel module: every export here is callable from JS (backends/wasm.ts).
// All pointers are byte offsets into the one shared memory; [lo, hi) is this thread's share.
export { gemm, gemmScratchBytes } from './gemm';
export { unary, unaryBackward, binary, axpby, fill, addRowVector, sumRows, sumChunks, dropout, adamStep, adamSteps } from './elementwise';
export { spmm, csrToCsc, spmmTCsc, spmmAdam, cscCount, cscCursors, cscScatter } from './sparse';
export {
  batchNormForward, batchNormInference, batchNormBackward, linearBnFold, layerNormForward, layerNormBackwardDx, layerNormBackwardParams,
  softmaxRows, logSoftmaxRows, softmaxRowsBackward, crossEntropyRows, gatherRows, scatterAddRows,
} from './nn';
export { attentionForward, attentionRowDot, attentionBackward, attentionScratchBytes } from './attention';
export { nbPrep, nbInitTable, nbLossRows, nbReduce } from './nb';
