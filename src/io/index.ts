/** io room: reading and writing the files users have. Imports nothing else of ours. */
export type { AnnData, Csr, Dense, Frame, Column, UnsValue, NumericDtype } from './annData.js';
export * from './atomic.js';
export * from './safetensors.js';
export * from './h5ad/index.js';
export * from './formats/index.js';
