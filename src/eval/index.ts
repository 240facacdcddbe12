/** eval room: reconstruction r2, residuals, latent/embedding metrics, rank prediction. */
export * from './reconstruction/index.js';
export * from './embedding/index.js';
// Both parts define a per-cell Pearson with the same numpy semantics (NaN for a constant vector);
// the room exports the reconstruction one so the name is not ambiguous.
export { pearson } from './reconstruction/index.js';
