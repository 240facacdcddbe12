/**
 * scmix public API, grouped by room. Each room's own index.ts lists its exports; this file
 * re-exports the rooms that are ready.
 */
export { ScmixError, type ErrorCode } from './errors.js';
export { Rng, deriveSeed, hashUniform } from './data/rng.js';
export type { AnnData, Csr, Dense, Frame, Column, UnsValue, NumericDtype } from './io/annData.js';
export type { Backend, CsrView, UnaryOp, BinaryOp } from './engine/backend.js';
export { SCMIX_VERSION } from './version.js';
