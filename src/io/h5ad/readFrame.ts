/**
 * Dataframe elements (obs, var, raw/var) of an h5ad, dispatched on `encoding-type`:
 * dataframe 0.2.0 (anndata >= 0.8) and 0.1.0 (0.7, categories as object references).
 */
import h5wasm, { Reference } from 'h5wasm/node';
import type { File as H5File, Group } from 'h5wasm/node';
import { ScmixError } from '../../errors.js';
import type { Column, Frame } from '../annData.js';
import { toBool, toFloat64, toInt32 } from './convert.js';
import { attr, attrString, dsInfo, exists, getGroup, readAll, type DsInfo } from './h5.js';
import { readStrings } from './readStrings.js';

/** Strings of a dataset that may hold numbers (numeric categories become their decimal text). */
function readAsStrings(file: H5File, fileName: string, d: DsInfo): string[] {
  if (d.kind === 'string') return readStrings(file, fileName, d);
  if (d.kind === 'bool') return Array.from(toBool(readAll(file, fileName, d)), (b) => (b ? 'True' : 'False'));
  return Array.from(toFloat64(readAll(file, fileName, d)), (v) => String(v));
}

function asBool(v: unknown): boolean {
  if (typeof v === 'boolean') return v;
  if (typeof v === 'number' || typeof v === 'bigint') return Number(v) !== 0;
  if (v && typeof v === 'object' && 'length' in v) return Number((v as ArrayLike<number>)[0]) !== 0;
  return false;
}

function numberColumn(file: H5File, fileName: string, d: DsInfo): Column {
  if (d.kind === 'string') return { kind: 'string', values: readStrings(file, fileName, d) };
  if (d.kind === 'bool') return { kind: 'boolean', values: toBool(readAll(file, fileName, d)) };
  if (d.kind === 'other') throw new ScmixError('INPUT_FORMAT', `${fileName}: column /${d.path} has an unsupported HDF5 type`);
  return { kind: 'number', values: toFloat64(readAll(file, fileName, d)), dtype: d.kind };
}

/** One column element: dataset (array/string-array) or group (categorical/nullable-*). */
export function readColumn(file: H5File, fileName: string, path: string): Column {
  const obj = file.get(path);
  if (obj instanceof h5wasm.Dataset) {
    const d = dsInfo(file, fileName, path);
    // anndata 0.7: categorical codes dataset with an object-reference attribute `categories`.
    const ref = attr(obj, 'categories');
    if (ref !== undefined) {
      const r = Array.isArray(ref) ? ref[0] : ref;
      const target: unknown = r instanceof Reference ? (obj.dereference(r) as unknown) : null;
      if (!(target instanceof h5wasm.Dataset)) throw new ScmixError('INPUT_FORMAT', `${fileName}: /${path} has an unreadable legacy 'categories' reference`);
      const categories = readAsStrings(file, fileName, dsInfo(file, fileName, target.path));
      return { kind: 'categorical', codes: toInt32(readAll(file, fileName, d)), categories, ordered: asBool(attr(obj, 'ordered')) };
    }
    return numberColumn(file, fileName, d);
  }
  if (!(obj instanceof h5wasm.Group)) throw new ScmixError('INPUT_FORMAT', `${fileName}: /${path} is neither a dataset nor a group`);
  const enc = attrString(obj, 'encoding-type');
  switch (enc) {
    case 'categorical': {
      const codes = toInt32(readAll(file, fileName, dsInfo(file, fileName, `${path}/codes`)));
      const categories = readAsStrings(file, fileName, dsInfo(file, fileName, `${path}/categories`));
      for (const c of codes) {
        if (c < -1 || c >= categories.length) throw new ScmixError('SHAPE_MISMATCH', `${fileName}: /${path}/codes holds ${c}, outside [-1, ${categories.length})`);
      }
      return { kind: 'categorical', codes, categories, ordered: asBool(attr(obj, 'ordered')) };
    }
    case 'nullable-integer': {
      const v = dsInfo(file, fileName, `${path}/values`);
      const kind = v.kind === 'string' || v.kind === 'bool' || v.kind === 'other' ? 'int64' : v.kind;
      return {
        kind: 'nullable-integer', values: toFloat64(readAll(file, fileName, v)), dtype: kind,
        mask: toBool(readAll(file, fileName, dsInfo(file, fileName, `${path}/mask`))),
      };
    }
    case 'nullable-boolean':
      return {
        kind: 'nullable-boolean',
        values: toBool(readAll(file, fileName, dsInfo(file, fileName, `${path}/values`))),
        mask: toBool(readAll(file, fileName, dsInfo(file, fileName, `${path}/mask`))),
      };
    case 'nullable-string-array': {
      // Read as plain strings (anndata 0.8 has no such type): missing values become ''.
      const values = readStrings(file, fileName, dsInfo(file, fileName, `${path}/values`));
      const mask = toBool(readAll(file, fileName, dsInfo(file, fileName, `${path}/mask`)));
      return { kind: 'string', values: values.map((s, i) => (mask[i] ? '' : s)) };
    }
    default:
      throw new ScmixError('INPUT_FORMAT', `${fileName}: column /${path} has encoding '${enc ?? 'none'}', which scmix does not read`);
  }
}

function columnLength(c: Column): number {
  return c.kind === 'categorical' ? c.codes.length : c.values.length;
}

function columnOrder(g: Group): string[] {
  const v = attr(g, 'column-order');
  if (typeof v === 'string') return [v];
  // h5py writes an empty list as an empty float64 array.
  if (Array.isArray(v)) return v.filter((x): x is string => typeof x === 'string');
  return [];
}

/**
 * A dataframe group -> Frame (index + columns in `column-order`).
 * @throws INPUT_FORMAT (missing, legacy compound layout, unknown column encoding), SHAPE_MISMATCH
 */
export function readFrame(file: H5File, fileName: string, path: string): Frame {
  if (!exists(file, path)) throw new ScmixError('INPUT_FORMAT', `${fileName}: no /${path} dataframe in the file`);
  const obj = file.get(path);
  if (obj instanceof h5wasm.Dataset) {
    throw new ScmixError('INPUT_FORMAT', `${fileName}: /${path} uses the pre-0.7 anndata layout (compound dataset), which scmix does not read`, {
      hint: 'Re-save it with a current anndata: anndata.read_h5ad(path).write_h5ad(path)',
    });
  }
  const g = getGroup(file, fileName, path);
  const enc = attrString(g, 'encoding-type');
  if (enc !== undefined && enc !== 'dataframe') throw new ScmixError('INPUT_FORMAT', `${fileName}: /${path} has encoding '${enc}', expected dataframe`);
  const indexName = attrString(g, '_index') ?? '_index';
  const index = readAsStrings(file, fileName, dsInfo(file, fileName, `${path}/${indexName}`));
  const columns = new Map<string, Column>();
  for (const name of columnOrder(g)) {
    const col = readColumn(file, fileName, `${path}/${name}`);
    if (columnLength(col) !== index.length) {
      throw new ScmixError('SHAPE_MISMATCH', `${fileName}: column /${path}/${name} has ${columnLength(col)} rows, the index has ${index.length}`);
    }
    columns.set(name, col);
  }
  return { index, columns };
}

