/**
 * Read obs/var columns as plain values whatever their storage (categorical codes, strings,
 * numbers, booleans), so filters and gene-id rules compare what the user sees in Python.
 */
import type { Column, Frame } from '../io/index.js';

/** Value of row i as a string ('' for missing), the way pandas would print it. */
export function columnStrings(frame: Frame, name: string): string[] {
  if (name === 'index') return frame.index.slice();
  const col = frame.columns.get(name);
  if (!col) throw new RangeError(`no column ${name}`);
  return stringsOf(col, frame.index.length);
}

function stringsOf(col: Column, n: number): string[] {
  switch (col.kind) {
    case 'categorical':
      return Array.from(col.codes, (c) => (c < 0 ? '' : col.categories[c]));
    case 'string':
      return col.values.slice();
    case 'number':
      return Array.from(col.values, (v) => String(v));
    case 'boolean':
      return Array.from(col.values, (v) => (v ? 'true' : 'false'));
    case 'nullable-integer':
      return Array.from(col.values, (v, i) => (col.mask[i] ? '' : String(v)));
    case 'nullable-boolean':
      return Array.from(col.values, (v, i) => (col.mask[i] ? '' : v ? 'true' : 'false'));
  }
  return new Array<string>(n).fill('');
}

/** Numeric values of a column (NaN where missing or not a number). */
export function columnNumbers(frame: Frame, name: string): Float64Array {
  const col = frame.columns.get(name);
  if (!col) throw new RangeError(`no column ${name}`);
  if (col.kind === 'number') return col.values;
  if (col.kind === 'nullable-integer') return Float64Array.from(col.values, (v, i) => (col.mask[i] ? NaN : v));
  return Float64Array.from(stringsOf(col, frame.index.length), (s) => (s === '' ? NaN : Number(s)));
}

/** Names a user can filter on: the obs columns plus "index". */
export function columnNames(frame: Frame): string[] {
  return ['index', ...frame.columns.keys()];
}

/** Whether a filter value (from YAML) matches a cell's value (compared as strings). */
export function sameValue(cell: string, wanted: string | number | boolean): boolean {
  return cell === String(wanted);
}
