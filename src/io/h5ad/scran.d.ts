// Minimal typing for the parts of scran.js (ESM, no .d.ts) that writeH5ad uses: its HDF5 API can
// create HDF5 ENUM {FALSE, TRUE} booleans, which h5wasm cannot.
declare module 'scran.js' {
  export function initialize(opts?: { numberOfThreads?: number }): Promise<boolean>;
  export class H5StringType {
    static variableLength: number;
    constructor(encoding: 'ASCII' | 'UTF-8', length: number);
  }
  export class H5EnumType {
    constructor(code: string, levels: Record<string, number> | string[]);
  }
  type H5Type = string | H5StringType | H5EnumType;
  interface WriteOptions { compression?: number; chunks?: number[] | null }
  export class H5DataSet {
    writeAttribute(attr: string, type: H5Type, shape: number[] | null, x: unknown): void;
  }
  export class H5Group {
    readonly children: Record<string, string>;
    open(name: string): H5Group | H5DataSet;
    writeDataSet(name: string, type: H5Type, shape: number[] | null, x: unknown, options?: WriteOptions): H5DataSet;
    writeAttribute(attr: string, type: H5Type, shape: number[] | null, x: unknown): void;
  }
  export class H5File extends H5Group {
    constructor(path: string);
  }
}
