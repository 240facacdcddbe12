/**
 * GenePattern GCT tables (GTEx `*_gene_tpm.gct.gz`, `*_median_tpm.gct.gz`): v1.2 and v1.3,
 * genes x samples, dense, tab-separated; plain or gzip. Parsed line by line into one
 * Float64Array so a large file never exists as one string.
 */
import type { Frame } from '../annData.js';
import { ScmixError } from '../../errors.js';
import { forEachLine } from './byteStream.js';
import { inferColumn } from './csvTable.js';

/** A GCT table: `values` is row-major [nRows, nCols] (genes x samples). */
export interface GctTable {
  readonly version: '1.2' | '1.3';
  readonly nRows: number;
  readonly nCols: number;
  /** row ids (column `Name` in v1.2, `id` in v1.3) */
  readonly rowIds: string[];
  /** per-row metadata: v1.2 `Description`; v1.3 the declared row-metadata columns */
  readonly rowMeta: Frame;
  /** sample ids */
  readonly colIds: string[];
  /** per-sample metadata rows of v1.3 (empty for v1.2) */
  readonly colMeta: Frame;
  readonly values: Float64Array;
}

export interface ReadGctOptions {
  readonly onProgress?: (readBytes: number, totalBytes: number) => void;
}

/**
 * Reads a GCT v1.2/v1.3 file. Empty cells, `NA` and `NaN` read as NaN.
 * @throws INPUT_MISSING; INPUT_FORMAT for an unknown version line, a bad dimension line, a row
 *   with the wrong number of fields, a non-numeric value, or fewer/more rows than declared
 *   (each with file and line).
 */
export async function readGct(path: string, opts: ReadGctOptions = {}): Promise<GctTable> {
  const bad = (msg: string, line?: number) => new ScmixError('INPUT_FORMAT', `${path}${line !== undefined ? `:${line}` : ''}: ${msg}`);
  let version: '1.2' | '1.3' | undefined;
  let nRows = 0, nCols = 0, nRowMeta = 0, nColMeta = 0;
  let header: string[] | undefined;
  const colMetaRows: string[][] = [];
  let rowIds: string[] = [];
  let rowMetaVals: string[][] = [];
  let values = new Float64Array(0);
  let r = 0;
  let failure: ScmixError | undefined;
  await forEachLine(
    path,
    (buf, s, e, lineNo) => {
      const line = buf.toString('utf8', s, e);
      if (lineNo === 1) {
        const v = line.trim();
        if (v !== '#1.2' && v !== '#1.3') { failure = bad(`not a GCT file: first line must be #1.2 or #1.3, got "${v.slice(0, 40)}"`, 1); return false; }
        version = v.slice(1) as '1.2' | '1.3';
        return;
      }
      if (lineNo === 2) {
        const d = line.trim().split(/\s+/).map(Number);
        const want = version === '1.2' ? 2 : 4;
        if (d.length < want || !d.slice(0, want).every((x) => Number.isInteger(x) && x >= 0)) {
          failure = bad(`bad GCT dimension line "${line.trim()}" (v${version} expects ${want} integers)`, 2);
          return false;
        }
        [nRows, nCols] = d;
        if (version === '1.3') [nRowMeta, nColMeta] = [d[2], d[3]];
        else nRowMeta = 1; // Description
        values = new Float64Array(nRows * nCols);
        rowMetaVals = Array.from({ length: nRowMeta }, () => new Array<string>(nRows));
        rowIds = new Array<string>(nRows);
        return;
      }
      const f = line.split('\t');
      if (!header) {
        if (f.length !== 1 + nRowMeta + nCols) { failure = bad(`header has ${f.length} fields, expected ${1 + nRowMeta + nCols} (id, ${nRowMeta} row-metadata, ${nCols} samples)`, lineNo); return false; }
        header = f;
        return;
      }
      if (colMetaRows.length < nColMeta) {
        colMetaRows.push(f);
        return;
      }
      if (line === '' && f.length === 1) return;
      if (r >= nRows) { failure = bad(`more data rows than the ${nRows} declared on line 2`, lineNo); return false; }
      if (f.length !== 1 + nRowMeta + nCols) { failure = bad(`${f.length} fields, expected ${1 + nRowMeta + nCols}`, lineNo); return false; }
      rowIds[r] = f[0];
      for (let m = 0; m < nRowMeta; m++) rowMetaVals[m][r] = f[1 + m];
      const base = r * nCols, off = 1 + nRowMeta;
      for (let c = 0; c < nCols; c++) {
        const t = f[off + c];
        const x = t === '' || t === 'NA' || t === 'NaN' || t === 'nan' ? NaN : Number(t);
        if (Number.isNaN(x) && !(t === '' || t === 'NA' || t === 'NaN' || t === 'nan')) {
          failure = bad(`value "${t}" for sample "${header[off + c]}" is not a number`, lineNo);
          return false;
        }
        values[base + c] = x;
      }
      r++;
    },
    opts.onProgress,
  );
  if (failure) throw failure;
  if (!version) throw bad('empty file, not a GCT table');
  if (!header) throw bad('no header line (file truncated?)');
  if (r !== nRows) throw bad(`only ${r} of the ${nRows} rows declared on line 2 were found (file truncated?)`);
  const off = 1 + nRowMeta;
  const colIds = header.slice(off);
  const rowMeta: Frame = { index: rowIds, columns: new Map(header.slice(1, off).map((name, m) => [name, inferColumn(rowMetaVals[m])])) };
  const colMeta: Frame = {
    index: colIds,
    columns: new Map(colMetaRows.map((row) => [row[0], inferColumn(row.slice(off))])),
  };
  return { version, nRows, nCols, rowIds, rowMeta, colIds, colMeta, values };
}
