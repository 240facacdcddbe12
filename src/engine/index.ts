/** engine room: tensors in WebAssembly memory, kernels, worker pool, autograd, optimisers. */
export type { Backend, CsrView, UnaryOp, BinaryOp, F32, I32 } from './backend.js';
export * from './backends/index.js';
export * from './autograd/index.js';
