/**
 * Stream selected rows of several sources into one CSR on a common gene axis: each row's columns
 * go through a file -> corpus column map and are re-sorted, since the corpus order differs from
 * the file's. Only the chosen rows are ever kept in memory.
 */
import type { Csr } from '../io/index.js';
import type { CellSource } from './cellSource.js';

/** Growable CSR being appended row by row. */
export class CsrBuilder {
  private indptr: number[] = [0];
  private indices = new Int32Array(1 << 16);
  private data = new Float32Array(1 << 16);
  private nnz = 0;
  private readonly order: number[] = [];
  constructor(readonly nCols: number) {}

  get nRows(): number {
    return this.indptr.length - 1;
  }

  /** Append rows `rows` (ascending) of `src`, mapping columns with `colMap`. */
  appendRows(src: CellSource, rows: Int32Array, colMap: Int32Array, onRow?: (n: number) => void, blockRows = 4096): void {
    let k = 0;
    const cols: number[] = [];
    const vals: number[] = [];
    for (const { start, csr } of src.blocks(blockRows)) {
      if (k >= rows.length) break;
      const end = start + csr.nRows;
      while (k < rows.length && rows[k] < end) {
        const r = rows[k] - start;
        cols.length = 0;
        vals.length = 0;
        for (let p = Number(csr.indptr[r]); p < Number(csr.indptr[r + 1]); p++) {
          const j = colMap[csr.indices[p]];
          if (j >= 0 && csr.data[p] !== 0) {
            cols.push(j);
            vals.push(csr.data[p]);
          }
        }
        this.pushRow(cols, vals);
        k++;
        onRow?.(k);
      }
    }
  }

  private pushRow(cols: number[], vals: number[]): void {
    const m = cols.length;
    this.ensure(this.nnz + m);
    const order = this.order;
    order.length = m;
    for (let i = 0; i < m; i++) order[i] = i;
    order.sort((a, b) => cols[a] - cols[b]);
    for (let i = 0; i < m; i++) {
      this.indices[this.nnz + i] = cols[order[i]];
      this.data[this.nnz + i] = vals[order[i]];
    }
    this.nnz += m;
    this.indptr.push(this.nnz);
  }

  private ensure(n: number): void {
    if (n <= this.indices.length) return;
    let cap = this.indices.length;
    while (cap < n) cap *= 2;
    const i2 = new Int32Array(cap);
    i2.set(this.indices.subarray(0, this.nnz));
    const d2 = new Float32Array(cap);
    d2.set(this.data.subarray(0, this.nnz));
    this.indices = i2;
    this.data = d2;
  }

  /** The finished CSR (int64-safe indptr as Float64Array beyond 2^31 - 1 values). */
  finish(): Csr {
    const big = this.nnz > 2147483647;
    return {
      nRows: this.nRows,
      nCols: this.nCols,
      indptr: big ? Float64Array.from(this.indptr) : Int32Array.from(this.indptr),
      indices: this.indices.slice(0, this.nnz),
      data: this.data.slice(0, this.nnz),
    };
  }
}
