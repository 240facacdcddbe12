/**
 * Delimited metadata tables (obs.csv, Cells.csv, sample sheets): RFC 4180 quoting, `,` or tab
 * (tab when the name ends in .tsv/.txt[.gz]), plain or gzip. Columns get a type from their values:
 * number when every non-missing value parses (missing: '', NA, NaN), boolean when every value is
 * true/false in any case, else string.
 */
import type { Column, Frame, NumericDtype } from '../annData.js';
import { ScmixError } from '../../errors.js';
import { readSmallText } from './byteStream.js';

export interface ReadCsvOptions {
  /** column whose values become the index; default: the first column */
  readonly indexCol?: string;
  /** field separator; default ',' (tab for .tsv/.txt) */
  readonly delimiter?: string;
  /** accept repeated index values (default false: a repeated key is an error) */
  readonly allowDuplicateIndex?: boolean;
}

/** Splits delimited text into rows of fields (quotes removed, "" unescaped). */
export function parseDelimited(text: string, delimiter = ',', path = '<text>'): string[][] {
  const rows: string[][] = [];
  let row: string[] = [];
  let field = '';
  let i = 0;
  const n = text.length;
  let quoted = false;
  let fieldStarted = false;
  while (i < n) {
    const ch = text[i];
    if (quoted) {
      if (ch === '"') {
        if (text[i + 1] === '"') { field += '"'; i += 2; continue; }
        quoted = false;
        i++;
        continue;
      }
      field += ch;
      i++;
      continue;
    }
    if (ch === '"' && !fieldStarted) { quoted = true; fieldStarted = true; i++; continue; }
    if (ch === delimiter) { row.push(field); field = ''; fieldStarted = false; i++; continue; }
    if (ch === '\n' || ch === '\r') {
      row.push(field);
      if (!(row.length === 1 && row[0] === '')) rows.push(row);
      row = [];
      field = '';
      fieldStarted = false;
      i += ch === '\r' && text[i + 1] === '\n' ? 2 : 1;
      continue;
    }
    field += ch;
    fieldStarted = true;
    i++;
  }
  if (quoted) throw new ScmixError('INPUT_FORMAT', `${path}: unterminated quoted field at the end of the file`);
  if (fieldStarted || field !== '' || row.length > 0) {
    row.push(field);
    rows.push(row);
  }
  return rows;
}

const MISSING = new Set(['', 'NA', 'NaN', 'nan', 'N/A']);

/** Types one column of text values (see the module comment for the rules). */
export function inferColumn(values: string[]): Column {
  let numeric = true, integer = true, anyMissing = false;
  for (const v of values) {
    if (MISSING.has(v)) { anyMissing = true; continue; }
    const x = Number(v);
    if (v.trim() === '' || Number.isNaN(x)) { numeric = false; break; }
    if (!Number.isInteger(x)) integer = false;
  }
  if (numeric && values.some((v) => !MISSING.has(v))) {
    const out = new Float64Array(values.length);
    values.forEach((v, i) => (out[i] = MISSING.has(v) ? NaN : Number(v)));
    const dtype: NumericDtype = integer && !anyMissing ? 'int64' : 'float64';
    return { kind: 'number', values: out, dtype };
  }
  if (values.length > 0 && values.every((v) => /^(true|false)$/i.test(v))) {
    return { kind: 'boolean', values: Uint8Array.from(values, (v) => (v.toLowerCase() === 'true' ? 1 : 0)) };
  }
  return { kind: 'string', values };
}

/**
 * Reads a CSV/TSV table into a Frame. The header row names the columns; an empty first header
 * cell (pandas `to_csv` with an index), or a header one field shorter than every row (R's
 * `write.table` with row names), marks an unnamed index column. A leading byte-order mark is ignored.
 * @throws INPUT_MISSING; INPUT_FORMAT for an empty file, a row with a different number of fields
 *   than the header, a missing index column, or duplicated index values (naming the first one).
 */
export function readCsvTable(path: string, opts: ReadCsvOptions = {}): Frame {
  const delimiter = opts.delimiter ?? (/\.(tsv|txt)(\.gz)?$/i.test(path) ? '\t' : ',');
  const rows = parseDelimited(readSmallText(path, 'table'), delimiter, path);
  if (rows.length === 0) throw new ScmixError('INPUT_FORMAT', `${path}: empty table (no header row)`);
  const header = rows[0].map((h) => h.trim());
  // R's write.table(row.names=TRUE) omits the index's header cell: every row is one field longer.
  if (rows.length > 1 && rows.slice(1).every((r) => r.length === header.length + 1)) header.unshift('');
  for (let r = 1; r < rows.length; r++) {
    if (rows[r].length !== header.length) {
      throw new ScmixError('INPUT_FORMAT', `${path}:${r + 1}: ${rows[r].length} fields but the header has ${header.length}`);
    }
  }
  let idx = 0;
  if (opts.indexCol !== undefined) {
    idx = header.indexOf(opts.indexCol);
    if (idx < 0) {
      throw new ScmixError('CONFIG_INVALID', `${path}: no column "${opts.indexCol}" to use as the key; columns are ${header.map((h) => JSON.stringify(h)).join(', ')}`);
    }
  }
  const index = rows.slice(1).map((r) => r[idx]);
  const seen = new Set<string>();
  if (!opts.allowDuplicateIndex) for (const v of index) {
    if (seen.has(v)) throw new ScmixError('INPUT_FORMAT', `${path}: key column "${header[idx] || '(index)'}" repeats the value "${v}"; keys must be unique`);
    seen.add(v);
  }
  const columns = new Map<string, Column>();
  header.forEach((name, c) => {
    if (c === idx) return; // the key lives in the index only
    columns.set(name, inferColumn(rows.slice(1).map((r) => r[c])));
  });
  return { index, columns };
}
