/**
 * scanpy 1.10 `normalize_total(target_sum=1e4)` and `log1p` on CSR counts, in float32 as scanpy
 * does them for float32 input (spec: ldvae-spec.md 6.1, 6.2).
 */
import type { Csr } from '../io/index.js';
import { ScmixError } from '../errors.js';

export interface NormalizeTotalOptions {
  /** counts per cell after scaling; null = median of the non-zero cell totals. Default 1e4. */
  readonly targetSum?: number | null;
}

/**
 * Per-cell totals as scipy's `X.sum(axis=1)` gives them for float32 X: accumulated in float32.
 * [N]
 */
export function cellTotalsF32(csr: Csr): Float32Array {
  const out = new Float32Array(csr.nRows);
  for (let r = 0; r < csr.nRows; r++) {
    let s = 0;
    for (let k = csr.indptr[r]; k < csr.indptr[r + 1]; k++) s = Math.fround(s + csr.data[k]);
    out[r] = s;
  }
  return out;
}

/**
 * Returns a new CSR (same structure, new values) where each cell sums to `targetSum`:
 * `x / f`, `f = total / targetSum` in float32, `f = 1` for an all-zero cell (which stays zero,
 * as scanpy's `allow_divide_by_zero=False`).
 * @throws CONFIG_INVALID for a non-positive targetSum.
 */
export function normalizeTotal(csr: Csr, opts: NormalizeTotalOptions = {}): Csr {
  const totals = cellTotalsF32(csr);
  let target: number;
  if (opts.targetSum === null) {
    const nz = Array.from(totals).filter((t) => t > 0).sort((a, b) => a - b);
    if (nz.length === 0) return { ...csr, data: csr.data.slice() };
    const m = nz.length >> 1;
    target = nz.length % 2 ? nz[m] : Math.fround(Math.fround(nz[m - 1] + nz[m]) / 2);
  } else {
    target = opts.targetSum ?? 1e4;
    if (!(target > 0) || !Number.isFinite(target)) throw new ScmixError('CONFIG_INVALID', `normalizeTotal targetSum must be a positive number, got ${target}`);
  }
  const t32 = Math.fround(target);
  const data = new Float32Array(csr.data.length);
  for (let r = 0; r < csr.nRows; r++) {
    let f = Math.fround(totals[r] / t32);
    if (f === 0) f = 1;
    for (let k = csr.indptr[r]; k < csr.indptr[r + 1]; k++) data[k] = csr.data[k] / f;
  }
  return { nRows: csr.nRows, nCols: csr.nCols, indptr: csr.indptr, indices: csr.indices, data };
}

/** `x <- log(1 + x)` on the stored values, in place (zeros stay zeros). Returns `csr`. */
export function log1pInPlace(csr: Csr): Csr {
  const d = csr.data;
  for (let k = 0; k < d.length; k++) d[k] = Math.log1p(d[k]);
  return csr;
}
