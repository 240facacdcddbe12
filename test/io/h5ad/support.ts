/** Shared helpers for the h5ad tests: dense views and JSON-comparable frames. */
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Column, Csr, Frame } from '../../../src/io/index.js';

export const FIX = join(dirname(fileURLToPath(import.meta.url)), '..', '..', 'fixtures', 'h5ad');
export const fixture = (name: string): string => join(FIX, name);
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export const expected: any = JSON.parse(readFileSync(join(FIX, 'expected.json'), 'utf8'));

/** Row-major dense copy of a CSR matrix ([R, C], float64). */
export function toDense(m: Csr): number[] {
  const out = new Array<number>(m.nRows * m.nCols).fill(0);
  for (let r = 0; r < m.nRows; r++) {
    for (let k = m.indptr[r]; k < m.indptr[r + 1]; k++) out[r * m.nCols + m.indices[k]] = m.data[k];
  }
  return out;
}

/** The CSR invariants every reader result must satisfy (sorted, in range, consistent). */
export function assertValidCsr(m: Csr): void {
  if (m.indptr.length !== m.nRows + 1 || m.indptr[0] !== 0 || m.indptr[m.nRows] !== m.data.length || m.indices.length !== m.data.length) {
    throw new Error(`inconsistent CSR: rows ${m.nRows}, indptr ${m.indptr.length}, nnz ${m.data.length}`);
  }
  for (let r = 0; r < m.nRows; r++) {
    for (let k = m.indptr[r]; k < m.indptr[r + 1]; k++) {
      if (m.indices[k] < 0 || m.indices[k] >= m.nCols) throw new Error(`index out of range in row ${r}`);
      if (k > m.indptr[r] && m.indices[k] <= m.indices[k - 1]) throw new Error(`unsorted indices in row ${r}`);
    }
  }
}

/** A Column as the JSON shape make_fixtures.py writes (typed arrays -> arrays, 0/1 -> bool). */
export function columnJson(c: Column): unknown {
  switch (c.kind) {
    case 'categorical': return { kind: c.kind, codes: [...c.codes], categories: c.categories, ordered: c.ordered };
    case 'string': return { kind: c.kind, values: c.values };
    case 'number': return { kind: c.kind, dtype: c.dtype, values: [...c.values] };
    case 'boolean': return { kind: c.kind, values: [...c.values].map(Boolean) };
    case 'nullable-integer': return { kind: c.kind, values: [...c.values].map((v, i) => (c.mask[i] ? 0 : v)), mask: [...c.mask].map(Boolean) };
    case 'nullable-boolean': return { kind: c.kind, values: [...c.values].map((v, i) => (c.mask[i] ? false : Boolean(v))), mask: [...c.mask].map(Boolean) };
  }
}

export function frameJson(f: Frame): { index: string[]; columns: Record<string, unknown> } {
  return { index: f.index, columns: Object.fromEntries([...f.columns].map(([k, c]) => [k, columnJson(c)])) };
}

/** |a - b| <= tol * max(1, |b|) elementwise. */
export function close(a: ArrayLike<number>, b: ArrayLike<number>, tol = 1e-6): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (!(Math.abs(a[i] - b[i]) <= tol * Math.max(1, Math.abs(b[i])))) return false;
  return true;
}
