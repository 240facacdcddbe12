/** Worker pool used by the WASM backend. */
export { createPool } from './pool.js';
export type { Pool, PoolOptions } from './pool.js';
