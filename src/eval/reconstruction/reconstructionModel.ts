import type { Csr, Dense } from '../../io/index.js';

/**
 * The slice of the LDVAE model API (docs/ARCHITECTURE.md, models/ldvae LdvaeModel) that the
 * evaluation calls. Written structurally so eval does not depend on the model's internals and
 * tests can pass a small fake. Results may be returned synchronously or as promises.
 */
export interface ReconstructionModel {
  /** model gene ids, in model column order ([G]) */
  readonly genes: readonly string[];
  /**
   * px_scale * librarySize for rows already aligned to the model genes: Float32Array [B, G]
   * (row-major). `sample: false` uses the posterior mean z = qz.loc; `true` samples z from q(z|x)
   * with `seed`, as scvi's get_normalized_expression does.
   */
  normalizedExpression(csr: Csr, opts: { librarySize: number; sample: boolean; seed: number }): Float32Array | Promise<Float32Array>;
  /** posterior mean latent [B, K] (row-major Float32Array or a Dense record) */
  latent?(csr: Csr): Float32Array | Float64Array | Dense | Promise<Float32Array | Float64Array | Dense>;
  /** decoder loadings genes x factors [G, K] */
  loadings?(): Float32Array | Float64Array | Dense | Promise<Float32Array | Float64Array | Dense>;
  /** training history (ELBO per epoch), any JSON shape the model records */
  readonly history?: unknown;
}

/** Normalise a latent/loadings return value to a row-major Float64Array with `rows` rows. */
export function toMatrix(x: Float32Array | Float64Array | Dense, rows: number): { data: Float64Array; cols: number } {
  const data = 'shape' in x ? x.data : x;
  const cols = rows > 0 ? Math.round(data.length / rows) : 0;
  return { data: Float64Array.from(data), cols };
}
