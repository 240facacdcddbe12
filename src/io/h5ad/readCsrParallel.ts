/**
 * Whole-matrix CSR read split over worker threads. Each worker has its own h5wasm instance and
 * reads one contiguous nonzero range of data/indices (libhdf5 decompresses gzip chunks there)
 * straight into SharedArrayBuffers; the main thread reads indptr, checks the CSR invariants and
 * builds the result. Used for large float32/int32 CSR matrices; anything else reads sequentially.
 *
 * The worker is an eval'd CommonJS script (no separate file), so it runs the same under tsx and
 * from the built package; it imports h5wasm by the URL the main thread resolved.
 */
import { Worker } from 'node:worker_threads';
import type { File as H5File } from 'h5wasm/node';
import { ScmixError } from '../../errors.js';
import type { Csr } from '../annData.js';
import { MAX_READ_BYTES } from './h5.js';
import { checkCsrRows, readPtr, type MatrixSource } from './matrixSource.js';

interface Job { readonly ds: string; readonly a: number; readonly b: number; readonly sab: SharedArrayBuffer; readonly size: number }

const WORKER_SRC = `
const { parentPort, workerData } = require('node:worker_threads');
(async () => {
  const h5 = (await import(workerData.h5url)).default;
  const M = await h5.ready;
  const f = new h5.File(workerData.path, 'r');
  let ptr = 0;
  try {
    if (f.file_id < 0n) throw new Error('cannot open the file');
    ptr = M._malloc(workerData.maxBytes);
    if (!ptr) throw new Error('out of wasm memory');
    for (const j of workerData.jobs) {
      const per = Math.max(1, Math.floor(workerData.maxBytes / j.size));
      for (let s = j.a; s < j.b; s += per) {
        const n = Math.min(per, j.b - s);
        const st = M.get_dataset_data(f.file_id, j.ds, [BigInt(n)], [BigInt(s)], [1n], BigInt(ptr));
        if (st < 0) throw new Error('reading /' + j.ds + '[' + s + ':' + (s + n) + '] failed (HDF5 status ' + st + ')');
        new Uint8Array(j.sab, (s - workerData.base) * j.size, n * j.size).set(M.HEAPU8.subarray(ptr, ptr + n * j.size));
      }
    }
    parentPort.postMessage({ ok: true });
  } catch (e) {
    parentPort.postMessage({ ok: false, message: String((e && e.message) || e) });
  } finally {
    if (ptr) M._free(ptr);
    f.close();
  }
})();
`;

function runWorker(path: string, jobs: Job[], base: number): Promise<void> {
  return new Promise((resolve, reject) => {
    const w = new Worker(WORKER_SRC, {
      eval: true,
      workerData: { h5url: import.meta.resolve('h5wasm/node'), path, jobs, base, maxBytes: Math.min(MAX_READ_BYTES, 16 << 20) },
    });
    w.once('message', (m: { ok: boolean; message?: string }) => {
      void w.terminate();
      if (m.ok) resolve();
      else reject(new ScmixError('INPUT_FORMAT', `${path}: ${m.message}; the file is truncated or corrupt`));
    });
    w.once('error', (e) => reject(new ScmixError('INTERNAL', `${path}: read worker failed: ${e.message}`, { cause: e })));
    // a worker killed without a message (wasm abort, out of memory) must not leave us waiting
    w.once('exit', (code) => reject(new ScmixError('INTERNAL', `${path}: read worker exited (code ${code}) before finishing`)));
  });
}

/** Whether `readCsrParallel` can take this source (float32 values, int32 indices, CSR). */
export function parallelReadable(src: MatrixSource): boolean {
  return src.info.encoding === 'csr' && src.info.dtype === 'float32' && src.info.indicesDtype === 'int32';
}

/**
 * Read a float32/int32 CSR source with `threads` workers (rows split into ranges of about equal
 * nonzeros). Result arrays are backed by SharedArrayBuffers.
 * @throws SHAPE_MISMATCH (broken indptr, indices out of range), INPUT_FORMAT (read failure)
 */
export async function readCsrParallel(file: H5File, src: MatrixSource, threads: number): Promise<Csr> {
  const [nRows, nCols] = src.info.shape;
  const nnz = src.info.nnz ?? 0;
  const ptr = readPtr(file, src, 0, nRows);
  const sabData = new SharedArrayBuffer(nnz * 4);
  const sabIdx = new SharedArrayBuffer(nnz * 4);
  const cuts = [0];
  for (let t = 1; t < threads; t++) cuts.push(Math.round((nnz * t) / threads));
  cuts.push(nnz);
  const reads: Promise<void>[] = [];
  for (let t = 0; t < threads; t++) {
    const [a, b] = [cuts[t], cuts[t + 1]];
    if (b <= a) continue;
    // one worker per range, each writing into its own window of the shared arrays
    reads.push(runWorker(src.fileName, [
      { ds: src.data.path, a, b, sab: sabData, size: 4 },
      { ds: src.indices!.path, a, b, sab: sabIdx, size: 4 },
    ], 0));
  }
  await Promise.all(reads);
  const indptr = nnz >= 2 ** 31 ? ptr : Int32Array.from(ptr);
  const csr: Csr = { nRows, nCols, indptr, indices: new Int32Array(sabIdx), data: new Float32Array(sabData) };
  checkCsrRows(src, ptr, csr.indices, csr.data);
  return csr;
}
