/**
 * Row gathers on Frame columns, with -1 meaning "missing" (anndata's encodings: categorical code
 * -1, NaN for floats, mask for nullable types). Used by subsetting, concat and gene alignment.
 */
import type { Column, Frame } from '../io/index.js';

/** Gathers rows `src` of a column; `src[i] = -1` gives a missing value (type widened if needed). */
export function gatherColumn(col: Column, src: ArrayLike<number>): Column {
  const n = src.length;
  let missing = false;
  for (let i = 0; i < n; i++) if (src[i] < 0) { missing = true; break; }
  switch (col.kind) {
    case 'categorical': {
      const codes = new Int32Array(n);
      for (let i = 0; i < n; i++) codes[i] = src[i] < 0 ? -1 : col.codes[src[i]];
      return { kind: 'categorical', codes, categories: col.categories, ordered: col.ordered };
    }
    case 'string': {
      if (!missing) return { kind: 'string', values: Array.from(src, (r) => col.values[r]) };
      return toCategorical(Array.from(src, (r) => (r < 0 ? null : col.values[r])));
    }
    case 'number': {
      const v = new Float64Array(n);
      for (let i = 0; i < n; i++) v[i] = src[i] < 0 ? NaN : col.values[src[i]];
      const intLike = col.dtype !== 'float32' && col.dtype !== 'float64';
      if (missing && intLike) {
        const mask = new Uint8Array(n);
        for (let i = 0; i < n; i++) if (src[i] < 0) { mask[i] = 1; v[i] = 0; }
        return { kind: 'nullable-integer', values: v, mask, dtype: col.dtype };
      }
      return { kind: 'number', values: v, dtype: col.dtype };
    }
    case 'boolean': {
      const v = new Uint8Array(n);
      const mask = new Uint8Array(n);
      for (let i = 0; i < n; i++) (src[i] < 0 ? (mask[i] = 1) : (v[i] = col.values[src[i]]));
      return missing ? { kind: 'nullable-boolean', values: v, mask } : { kind: 'boolean', values: v };
    }
    case 'nullable-integer':
    case 'nullable-boolean': {
      const v = col.kind === 'nullable-integer' ? new Float64Array(n) : new Uint8Array(n);
      const mask = new Uint8Array(n);
      for (let i = 0; i < n; i++) {
        if (src[i] < 0) mask[i] = 1;
        else { v[i] = col.values[src[i]]; mask[i] = col.mask[src[i]]; }
      }
      return col.kind === 'nullable-integer'
        ? { kind: 'nullable-integer', values: v as Float64Array, mask, dtype: col.dtype }
        : { kind: 'nullable-boolean', values: v as Uint8Array, mask };
    }
  }
}

/** A categorical from strings (null = missing); categories sorted as pandas sorts strings. */
export function toCategorical(values: (string | null)[]): Column {
  const cats = [...new Set(values.filter((v): v is string => v !== null))].sort();
  const pos = new Map(cats.map((c, i) => [c, i]));
  const codes = Int32Array.from(values, (v) => (v === null ? -1 : pos.get(v)!));
  return { kind: 'categorical', codes, categories: cats, ordered: false };
}

/** Rows `src` of a frame (index and every column). `src[i] = -1` rows get `fillIndex[i]`. */
export function gatherFrame(frame: Frame, src: ArrayLike<number>, fillIndex?: string[]): Frame {
  const index = Array.from(src, (r, i) => (r < 0 ? (fillIndex ? fillIndex[i] : '') : frame.index[r]));
  const columns = new Map<string, Column>();
  for (const [k, c] of frame.columns) columns.set(k, gatherColumn(c, src));
  return { index, columns };
}

/** The value of row i as text (null when missing): how filters compare values. */
export function cellText(col: Column, i: number): string | null {
  switch (col.kind) {
    case 'categorical':
      return col.codes[i] < 0 ? null : col.categories[col.codes[i]];
    case 'string':
      return col.values[i];
    case 'number':
      return Number.isNaN(col.values[i]) ? null : String(col.values[i]);
    case 'boolean':
      return col.values[i] ? 'true' : 'false';
    case 'nullable-integer':
      return col.mask[i] ? null : String(col.values[i]);
    case 'nullable-boolean':
      return col.mask[i] ? null : col.values[i] ? 'true' : 'false';
  }
}

/** Numeric value of row i (NaN when missing or not numeric). */
export function cellNumber(col: Column, i: number): number {
  switch (col.kind) {
    case 'number':
      return col.values[i];
    case 'nullable-integer':
      return col.mask[i] ? NaN : col.values[i];
    case 'boolean':
      return col.values[i];
    case 'nullable-boolean':
      return col.mask[i] ? NaN : col.values[i];
    default: {
      const t = cellText(col, i);
      return t === null || t.trim() === '' ? NaN : Number(t);
    }
  }
}

/** A short type name for inspect output and error messages. */
export function columnType(col: Column): string {
  switch (col.kind) {
    case 'categorical':
      return `categorical(${col.categories.length}${col.ordered ? ', ordered' : ''})`;
    case 'number':
      return col.dtype;
    case 'nullable-integer':
      return `nullable ${col.dtype}`;
    default:
      return col.kind;
  }
}
