/**
 * Guard for inputs that must be raw counts (training corpora, QC): every stored value finite,
 * non-negative and a whole number.
 */
import type { Csr } from '../io/index.js';
import { ScmixError } from '../errors.js';

export interface AssertCountsOptions {
  /** file or dataset name for the message */
  readonly source?: string;
  /** cell names (obs index) and gene names (var index) for the message */
  readonly obsNames?: string[];
  readonly varNames?: string[];
  /** what the counts are needed for, e.g. 'LDVAE training' */
  readonly purpose?: string;
}

/**
 * Throws on the first value that is not a count, naming the file, the cell and the gene.
 * @throws INPUT_VALUE (NaN / infinite / negative / non-integer).
 */
export function assertCounts(csr: Csr, opts: AssertCountsOptions = {}): void {
  const { data, indices, indptr } = csr;
  for (let r = 0; r < csr.nRows; r++) {
    for (let k = indptr[r]; k < indptr[r + 1]; k++) {
      const v = data[k];
      if (Number.isInteger(v) && v >= 0) continue;
      const what = Number.isNaN(v) ? 'NaN' : !Number.isFinite(v) ? 'infinite' : v < 0 ? 'negative' : 'not a whole number';
      const c = indices[k];
      const cell = opts.obsNames ? `cell "${opts.obsNames[r]}" (row ${r})` : `row ${r}`;
      const gene = opts.varNames ? `gene "${opts.varNames[c]}" (column ${c})` : `column ${c}`;
      throw new ScmixError('INPUT_VALUE', `${opts.source ?? 'X'}: value ${v} at ${cell}, ${gene} is ${what}; raw integer counts are required${opts.purpose ? ` for ${opts.purpose}` : ''}`, {
        hint: 'use the raw UMI counts (e.g. layers["counts"] or adata.raw.X), not normalized or log-transformed values',
      });
    }
  }
}

/** True when every stored value is a finite non-negative integer (for reports; never throws). */
export function isCountMatrix(csr: Csr): boolean {
  const d = csr.data;
  const n = csr.indptr[csr.nRows];
  for (let k = 0; k < n; k++) if (!(Number.isInteger(d[k]) && d[k] >= 0)) return false;
  return true;
}
