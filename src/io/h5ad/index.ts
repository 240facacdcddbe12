/** h5ad and 10x HDF5 I/O (h5wasm), with status-checked, filter-checked, size-capped reads. */
export { initH5 } from './h5.js';
export { readH5ad, type ReadH5adOptions } from './readH5ad.js';
export { openH5ad, type H5adReader, type RowBlock } from './openH5ad.js';
export type { XInfo, MatrixEncoding, CsrTarget } from './matrixSource.js';
export { read10xH5 } from './read10xH5.js';
export { writeH5ad, type WriteH5adOptions } from './writeH5ad.js';
