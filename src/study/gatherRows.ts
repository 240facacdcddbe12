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
    // When the map keeps the file's column order (e.g. both sorted by id), rows need no re-sort.
    let monotonic = true;
    for (let j = 0, last = -1; j < colMap.length; j++) {
      if (colMap[j] < 0) continue;
      if (colMap[j] < last) {
        monotonic = false;
        break;
      }
      last = colMap[j];
    }
    let k = 0;
    for (const { start, csr } of src.blocks(blockRows)) {
      if (k >= rows.length) break;
      const end = start + csr.nRows;
      while (k < rows.length && rows[k] < end) {
        const r = rows[k] - start;
        const p0 = Number(csr.indptr[r]);
        const p1 = Number(csr.indptr[r + 1]);
        this.ensure(this.nnz + (p1 - p0));
        let n = this.nnz;
        for (let p = p0; p < p1; p++) {
          const j = colMap[csr.indices[p]];
          if (j >= 0 && csr.data[p] !== 0) {
            this.indices[n] = j;
            this.data[n++] = csr.data[p];
          }
        }
        if (!monotonic) this.sortRow(this.nnz, n);
        this.nnz = n;
        this.indptr.push(n);
        k++;
        onRow?.(k);
      }
    }
  }

  /** Sort entries [a, b) by column (insertion sort on short rows, index sort otherwise). */
  private sortRow(a: number, b: number): void {
    const m = b - a;
    if (m < 2) return;
    const order = this.order;
    order.length = m;
    for (let i = 0; i < m; i++) order[i] = i;
    const cols = this.indices.slice(a, b);
    const vals = this.data.slice(a, b);
    order.sort((x, y) => cols[x] - cols[y]);
    for (let i = 0; i < m; i++) {
      this.indices[a + i] = cols[order[i]];
      this.data[a + i] = vals[order[i]];
    }
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
