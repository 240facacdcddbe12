/**
 * Plain in-memory records for what single-cell files hold. io/ produces and consumes them;
 * data/ builds CellMatrix operations on top. No behaviour here, only shapes.
 */

/** Compressed sparse rows, cells x genes. Indices sorted within each row. */
export interface Csr {
  readonly nRows: number;
  readonly nCols: number;
  /** length nRows + 1; Float64Array (exact integers) once nnz >= 2^31 */
  readonly indptr: Int32Array | Float64Array;
  /** column of each stored value */
  readonly indices: Int32Array;
  readonly data: Float32Array;
}

/** Row-major dense matrix (obsm latents, dense layers). */
export interface Dense {
  readonly shape: readonly [number, number];
  readonly data: Float32Array | Float64Array;
}

/** Numeric dtypes as anndata/numpy name them; kept so a round trip writes the same dtype. */
export type NumericDtype =
  | 'int8' | 'int16' | 'int32' | 'int64'
  | 'uint8' | 'uint16' | 'uint32' | 'uint64'
  | 'float32' | 'float64';

export type Column =
  | { readonly kind: 'categorical'; readonly codes: Int32Array /* -1 = missing */; readonly categories: string[]; readonly ordered: boolean }
  | { readonly kind: 'string'; readonly values: string[] }
  | { readonly kind: 'number'; readonly values: Float64Array; readonly dtype: NumericDtype }
  | { readonly kind: 'boolean'; readonly values: Uint8Array }
  | { readonly kind: 'nullable-integer'; readonly values: Float64Array; readonly mask: Uint8Array /* 1 = missing */; readonly dtype: NumericDtype }
  | { readonly kind: 'nullable-boolean'; readonly values: Uint8Array; readonly mask: Uint8Array /* 1 = missing */ };

/** A dataframe: row labels plus ordered named columns (Map keeps insertion order). */
export interface Frame {
  readonly index: string[];
  readonly columns: Map<string, Column>;
}

/** JSON-like values stored under `uns` (provenance, parameters). Typed arrays allowed as leaves. */
export type UnsValue =
  | string | number | boolean | null
  | Float64Array | Float32Array | Int32Array
  | UnsValue[]
  | { [key: string]: UnsValue };

/** An AnnData object as scmix holds it: X is always CSR in memory. */
export interface AnnData {
  readonly X: Csr;
  readonly obs: Frame;
  readonly var: Frame;
  readonly layers: Map<string, Csr | Dense>;
  readonly obsm: Map<string, Dense>;
  readonly varm: Map<string, Dense>;
  readonly uns: { [key: string]: UnsValue };
  readonly raw?: { readonly X: Csr; readonly var: Frame };
}
