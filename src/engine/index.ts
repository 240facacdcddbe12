/** engine room: tensors in WebAssembly memory, kernels, worker pool, autograd, optimisers. */
export type { AdamTensor, Backend, CsrView, UnaryOp, BinaryOp, F32, I32 } from './backend.js';
export {
  BackendOptions,
  createBackend,
  getBackend,
  setBackend,
  referenceBackend,
  createWasmBackend,
  NB_EPS,
  UNARY_OPS,
} from './backends/index.js';
export type { WasmBackend, WasmBackendOptions } from './backends/index.js';
/** Scalar special functions (float64), the definitions the kernels are tested against. */
export * as special from './backends/special.js';
export * from './autograd/index.js';
