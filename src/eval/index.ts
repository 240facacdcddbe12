/** eval room: reconstruction r2, residuals, latent/embedding metrics, rank prediction. */
export * from './reconstruction/index.js';
export * from './embedding/index.js';
