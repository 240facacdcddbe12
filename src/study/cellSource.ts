/**
 * A cells x genes input the builder can stream: obs and var tables up front, the matrix in row
 * blocks. h5ad files stream through the io room's reader (never the whole X at once); MEX, 3CA and
 * 10x HDF5 inputs are read whole (they are small in practice) and served from memory.
 */
import type { AnnData, Csr, Frame } from '../io/index.js';
import { ScmixError } from '../errors.js';
import { ioRoom } from './rooms.js';

export interface CellSource {
  readonly nCells: number;
  readonly nGenes: number;
  readonly obs: Frame;
  readonly var: Frame;
  /** consecutive row blocks covering every cell in order; indices sorted within each row */
  blocks(blockRows: number): Iterable<{ start: number; csr: Csr }>;
  close(): void;
}

/** Serve an in-memory AnnData as a CellSource. */
export function cellSourceFromAnnData(a: AnnData): CellSource {
  return {
    nCells: a.X.nRows,
    nGenes: a.X.nCols,
    obs: a.obs,
    var: a.var,
    *blocks(blockRows: number) {
      for (let r0 = 0; r0 < a.X.nRows; r0 += blockRows) {
        const r1 = Math.min(a.X.nRows, r0 + blockRows);
        yield { start: r0, csr: sliceRows(a.X, r0, r1) };
      }
    },
    close() {},
  };
}

/** Rows [r0, r1) of a CSR as a view-like copy of its indptr (indices/data are subarrays). */
export function sliceRows(x: Csr, r0: number, r1: number): Csr {
  const p0 = Number(x.indptr[r0]);
  const p1 = Number(x.indptr[r1]);
  const indptr = new Int32Array(r1 - r0 + 1);
  for (let r = r0; r <= r1; r++) indptr[r - r0] = Number(x.indptr[r]) - p0;
  return { nRows: r1 - r0, nCols: x.nCols, indptr, indices: x.indices.subarray(p0, p1), data: x.data.subarray(p0, p1) };
}

export type SourceFormatName = 'auto' | 'h5ad' | '10x-h5' | 'mex' | '3ca';

/**
 * Open `path` for streaming (an `obsCsv` table is joined on barcodes; the file is then read whole).
 * @throws INPUT_MISSING / INPUT_FORMAT / SHAPE_MISMATCH from the io room.
 */
export async function openCellSource(path: string, format: SourceFormatName, opts: { obsCsv?: string } = {}): Promise<CellSource> {
  const io = await ioRoom();
  const fmt = format === 'auto' ? io.detectCellsFormat(path) : format;
  if (fmt === 'h5ad' && opts.obsCsv === undefined) {
    const r = await io.openH5ad(path);
    const [nCells, nGenes] = r.shape;
    return {
      nCells,
      nGenes,
      obs: r.obs,
      var: r.var,
      blocks: (blockRows: number) => r.rowBlocks(blockRows),
      close: () => r.close(),
    };
  }
  let a = await io.readAnyCells(path, { format: fmt });
  if (opts.obsCsv !== undefined) a = io.joinObsCsv(a, opts.obsCsv, { requireAll: true }).adata;
  if (a.X.nRows !== a.obs.index.length) throw new ScmixError('SHAPE_MISMATCH', `${path}: X has ${a.X.nRows} rows but obs ${a.obs.index.length}`);
  return cellSourceFromAnnData(a);
}
