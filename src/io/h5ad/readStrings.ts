/**
 * String datasets (vlen or fixed-length, UTF-8 or ASCII) read through libhdf5 with the status
 * checked (h5wasm's `.value` ignores it), decoded straight from the wasm heap.
 */
import type { File as H5File } from 'h5wasm/node';
import { ScmixError } from '../../errors.js';
import { h5mod, type DsInfo } from './h5.js';

const utf8 = new TextDecoder('utf-8');

/** Decode heap bytes [a, b): a plain loop for short ASCII (most labels), TextDecoder otherwise. */
function decodeBytes(heap: Uint8Array, a: number, b: number): string {
  if (b - a <= 24) {
    let s = '';
    for (let i = a; i < b; i++) {
      const c = heap[i];
      if (c >= 0x80) return utf8.decode(heap.subarray(a, b));
      s += String.fromCharCode(c);
    }
    return s;
  }
  return utf8.decode(heap.subarray(a, b));
}

/** Strings per H5Dread: 1M labels are ~4 MB of pointers plus the label bytes HDF5 allocates. */
const STRINGS_PER_READ = 1 << 20;

/**
 * Read a string dataset (vlen or fixed-length, UTF-8 or ASCII), status-checked like readSlab
 * (h5wasm's own `.value` ignores H5Dread failures here too), 1-d datasets in pieces of
 * STRINGS_PER_READ. Fixed-length strings lose their trailing NULs.
 * @throws INPUT_FORMAT when libhdf5 reports a failure
 */
export function readStrings(file: H5File, fileName: string, info: DsInfo): string[] {
  if (info.kind !== 'string') throw new ScmixError('INPUT_FORMAT', `${fileName}: /${info.path} should hold strings`);
  if (!info.shape) return [];
  const n = info.shape.reduce((a, b) => a * b, 1);
  if (n === 0) return [];
  const out = new Array<string>(n);
  // scalar and multi-d string datasets (rare, small) are read whole
  const step = info.shape.length === 1 ? STRINGS_PER_READ : n;
  for (let s = 0; s < n; s += step) readPiece(file, fileName, info, s, Math.min(n, s + step), out);
  return out;
}

function readPiece(file: H5File, fileName: string, info: DsInfo, s: number, e: number, out: string[]): void {
  const m = h5mod();
  const n = e - s;
  const vlen = info.meta.vlen;
  const size = vlen ? 4 : info.itemSize; // vlen: one wasm32 char* per string
  const ptr = m._malloc(n * size);
  if (!ptr) throw new ScmixError('INPUT_FORMAT', `${fileName}: out of wasm memory reading /${info.path}`);
  const sliced = info.shape!.length === 1;
  const count = sliced ? [BigInt(n)] : null;
  try {
    const status = m.get_dataset_data(file.file_id, info.path, count, sliced ? [BigInt(s)] : null, sliced ? [1n] : null, BigInt(ptr));
    if (status < 0) {
      throw new ScmixError('INPUT_FORMAT', `${fileName}: reading strings /${info.path}[${s}:${e}] failed (HDF5 status ${status}); the file is truncated or corrupt`);
    }
    const heap = m.HEAPU8;
    if (vlen) {
      const ptrs = new Uint32Array(heap.buffer, ptr, n);
      for (let i = 0; i < n; i++) {
        const a = ptrs[i];
        let b = a;
        if (a !== 0) while (heap[b] !== 0) b++;
        out[s + i] = decodeBytes(heap, a, b);
      }
      // frees the label bytes HDF5 allocated for exactly this selection
      if (count) m.reclaim_vlen_memory_count(file.file_id, info.path, '', BigInt(ptr), count);
      else m.reclaim_vlen_memory(file.file_id, info.path, '', BigInt(ptr));
    } else {
      for (let i = 0; i < n; i++) {
        const a = ptr + i * size;
        let b = a;
        while (b < a + size && heap[b] !== 0) b++;
        out[s + i] = decodeBytes(heap, a, b);
      }
    }
  } finally {
    m._free(ptr);
  }
}
