/**
 * MatrixMarket coordinate files (10x MEX `matrix.mtx[.gz]`, 3CA `Exp_data_UMIcounts.mtx`) read in
 * one streaming pass: a byte scanner parses `row col value` lines straight into typed arrays
 * (COO), then a counting sort builds CSR. With `transpose` the file's columns become CSR rows,
 * which turns 10x's genes x cells into AnnData's cells x genes.
 */
import type { Csr } from '../annData.js';
import { ScmixError } from '../../errors.js';
import { forEachLine } from './byteStream.js';

export interface MatrixMarketHeader {
  /** `integer`, `real` or `pattern` (values 1) */
  readonly field: 'integer' | 'real' | 'pattern';
  /** rows and columns as written in the file (before any transpose) */
  readonly nRows: number;
  readonly nCols: number;
  /** entries announced by the size line */
  readonly nnz: number;
}

export interface ReadMatrixMarketOptions {
  /** true: file rows become CSR columns (10x genes x cells -> cells x genes). Default false. */
  readonly transpose?: boolean;
  /** progress on the file as stored (compressed bytes) */
  readonly onProgress?: (readBytes: number, totalBytes: number) => void;
}

const SPACE = 32, TAB = 9, PERCENT = 37, ZERO = 48, NINE = 57;

/**
 * Reads a coordinate MatrixMarket file into CSR (f32 values, indices sorted within each row,
 * duplicate entries summed as scipy's `tocsr()` does).
 * @throws INPUT_MISSING when the file is absent; INPUT_FORMAT for a bad header, a short or
 *   malformed entry line, an index outside the size line, fewer or more entries than announced,
 *   or truncated gzip. Every message names the file (and the line where it applies).
 */
export async function readMatrixMarket(path: string, opts: ReadMatrixMarketOptions = {}): Promise<{ csr: Csr; header: MatrixMarketHeader }> {
  const bad = (msg: string, line?: number) =>
    new ScmixError('INPUT_FORMAT', `${path}${line !== undefined ? `:${line}` : ''}: ${msg}`);
  let header: MatrixMarketHeader | undefined;
  let sawBanner = false;
  let rows = new Int32Array(0), cols = new Int32Array(0), vals = new Float32Array(0);
  let k = 0;
  let field: MatrixMarketHeader['field'] = 'integer';
  let nR = 0, nC = 0, nnz = 0;
  // Token scanner state shared by parse helpers (kept as closure locals for speed).
  let p = 0;
  let failure: ScmixError | undefined;

  const skipSpace = (buf: Buffer, e: number) => {
    while (p < e && (buf[p] === SPACE || buf[p] === TAB)) p++;
  };
  const readInt = (buf: Buffer, e: number): number => {
    skipSpace(buf, e);
    const s = p;
    let v = 0;
    while (p < e) {
      const c = buf[p];
      if (c < ZERO || c > NINE) break;
      v = v * 10 + (c - ZERO);
      p++;
    }
    if (p === s || (p < e && buf[p] !== SPACE && buf[p] !== TAB)) return -1;
    return v;
  };
  const readValue = (buf: Buffer, e: number): number => {
    skipSpace(buf, e);
    const s = p;
    let v = 0;
    let simple = true;
    while (p < e && buf[p] !== SPACE && buf[p] !== TAB) {
      const c = buf[p];
      if (c < ZERO || c > NINE) simple = false;
      else if (simple) v = v * 10 + (c - ZERO);
      p++;
    }
    if (p === s) return NaN;
    if (simple && p - s < 16) return v;
    const text = buf.toString('latin1', s, p);
    const num = Number(text);
    if (!Number.isNaN(num)) return num;
    // A literal nan/inf is data (assertCounts reports it with the cell); anything else is garbage.
    if (/^[+-]?nan$/i.test(text)) return NaN;
    if (/^[+-]?inf(inity)?$/i.test(text)) return text.startsWith('-') ? -Infinity : Infinity;
    return NaN_MARK;
  };

  await forEachLine(
    path,
    (buf, s, e, lineNo) => {
      if (!header) {
        if (!sawBanner) {
          const text = buf.toString('latin1', s, e).trim();
          if (!text.startsWith('%%MatrixMarket')) {
            failure = bad(`not a MatrixMarket file: first line must start with %%MatrixMarket, got "${text.slice(0, 60)}"`, lineNo);
            return false;
          }
          const parts = text.toLowerCase().split(/\s+/);
          if (parts[1] !== 'matrix' || parts[2] !== 'coordinate') {
            failure = bad(`only "matrix coordinate" MatrixMarket files are supported, got "${text}"`, lineNo);
            return false;
          }
          if (parts[3] !== 'integer' && parts[3] !== 'real' && parts[3] !== 'pattern') {
            failure = bad(`unsupported MatrixMarket field "${parts[3]}" (expected integer, real or pattern)`, lineNo);
            return false;
          }
          if (parts[4] !== 'general') {
            failure = bad(`unsupported MatrixMarket symmetry "${parts[4]}" (only general)`, lineNo);
            return false;
          }
          field = parts[3];
          sawBanner = true;
          return;
        }
        if (e === s || buf[s] === PERCENT) return;
        const text = buf.toString('latin1', s, e).trim();
        if (text === '') return;
        const nums = text.split(/\s+/).map(Number);
        if (nums.length !== 3 || !nums.every((x) => Number.isInteger(x) && x >= 0)) {
          failure = bad(`bad MatrixMarket size line "${text}" (expected "rows cols entries")`, lineNo);
          return false;
        }
        [nR, nC, nnz] = nums;
        if (nnz > 2 ** 31 - 1) {
          failure = bad(`${nnz} entries exceed what one in-memory matrix can hold (2^31 - 1)`, lineNo);
          return false;
        }
        header = { field, nRows: nR, nCols: nC, nnz };
        try {
          rows = new Int32Array(nnz);
          cols = new Int32Array(nnz);
          vals = new Float32Array(nnz);
        } catch (err) {
          failure = new ScmixError('INPUT_FORMAT', `${path}:${lineNo}: cannot hold the ${nnz} entries announced on the size line in memory (${(err as Error).message})`, { cause: err });
          return false;
        }
        return;
      }
      if (e === s) return;
      if (buf[s] === PERCENT) return;
      let r: number, c: number, v: number;
      if (field !== 'pattern' && fastEntry(buf, s, e)) {
        r = SCRATCH[0]; c = SCRATCH[1]; v = SCRATCH[2];
      } else {
        p = s;
        r = readInt(buf, e);
        c = readInt(buf, e);
        v = field === 'pattern' ? 1 : readValue(buf, e);
      }
      if (r < 0 || c < 0 || v === NaN_MARK) {
        failure = bad(`malformed entry line "${buf.toString('latin1', s, Math.min(e, s + 80))}"`, lineNo);
        return false;
      }
      if (r < 1 || r > nR || c < 1 || c > nC) {
        failure = bad(`entry (${r}, ${c}) outside the ${nR} x ${nC} matrix of the size line (indices are 1-based)`, lineNo);
        return false;
      }
      if (k >= nnz) {
        failure = bad(`more entries than the ${nnz} announced on the size line`, lineNo);
        return false;
      }
      rows[k] = r - 1;
      cols[k] = c - 1;
      vals[k] = v;
      k++;
    },
    opts.onProgress,
  );
  if (failure) throw failure;
  if (!header) throw bad(sawBanner ? 'no size line (file empty or truncated after the header)' : 'empty file, not a MatrixMarket matrix');
  if (k !== nnz) throw bad(`only ${k} of the ${nnz} entries announced on the size line were found (file truncated?)`);
  const csr = opts.transpose ? cooToCsr(nC, nR, cols, rows, vals) : cooToCsr(nR, nC, rows, cols, vals);
  return { csr, header };
}

// Sentinel for "this token is not a number" (distinct from a literal nan in the file).
const NaN_MARK = -1.2345678901234567e-300;

const SCRATCH = new Float64Array(3);

/**
 * The common case, `row col value` as three unsigned integers separated by single spaces, parsed
 * without closures (the hot loop of a 10x file). Returns false for anything else, which then goes
 * through the general tokenizer.
 */
function fastEntry(buf: Buffer, s: number, e: number): boolean {
  let i = s;
  for (let t = 0; t < 3; t++) {
    const start = i;
    let v = 0;
    while (i < e) {
      const ch = buf[i];
      if (ch < ZERO || ch > NINE) break;
      v = v * 10 + (ch - ZERO);
      i++;
    }
    if (i === start || i - start > 15) return false;
    SCRATCH[t] = v;
    if (t < 2) {
      if (i >= e || buf[i] !== SPACE) return false;
      i++;
    }
  }
  return i === e;
}

/**
 * COO -> CSR by counting sort on rows (stable, so file order within a row is kept), then each
 * row sorted by column if needed and duplicates summed. [nRows, nCols]
 */
export function cooToCsr(nRows: number, nCols: number, r: Int32Array, c: Int32Array, v: Float32Array): Csr {
  const n = r.length;
  const counts = new Float64Array(nRows + 1);
  for (let i = 0; i < n; i++) counts[r[i] + 1]++;
  for (let i = 0; i < nRows; i++) counts[i + 1] += counts[i];
  const next = counts.slice(0, nRows);
  const indices = new Int32Array(n);
  const data = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    const dst = next[r[i]]++;
    indices[dst] = c[i];
    data[dst] = v[i];
  }
  // Sort within rows and merge duplicates; rows from 10x files are usually already sorted.
  let out = 0;
  const indptr = n >= 2 ** 31 ? new Float64Array(nRows + 1) : new Int32Array(nRows + 1);
  for (let row = 0; row < nRows; row++) {
    const s = counts[row], e = counts[row + 1];
    let sorted = true;
    for (let i = s + 1; i < e; i++) if (indices[i] <= indices[i - 1]) { sorted = false; break; }
    if (!sorted) sortRow(indices, data, s, e);
    const rowStart = out;
    for (let i = s; i < e; i++) {
      if (out > rowStart && indices[out - 1] === indices[i]) {
        data[out - 1] += data[i];
      } else {
        indices[out] = indices[i];
        data[out] = data[i];
        out++;
      }
    }
    indptr[row + 1] = out;
  }
  return {
    nRows,
    nCols,
    indptr,
    indices: out === n ? indices : indices.slice(0, out),
    data: out === n ? data : data.slice(0, out),
  };
}

function sortRow(indices: Int32Array, data: Float32Array, s: number, e: number): void {
  const order = Array.from({ length: e - s }, (_, i) => s + i).sort((a, b) => indices[a] - indices[b] || a - b);
  const idx = order.map((i) => indices[i]);
  const val = order.map((i) => data[i]);
  for (let i = 0; i < idx.length; i++) {
    indices[s + i] = idx[i];
    data[s + i] = val[i];
  }
}
