/**
 * First-fit arena over one shared WebAssembly.Memory. Blocks are 64-byte aligned (cache lines, and
 * v128 loads never straddle a line at the start of a buffer). Freed blocks coalesce with their
 * neighbours and are reused before the memory grows; growth stops at `maxPages`.
 */
import { ScmixError } from '../../errors.js';
import type { WasmMemory } from './wasmApi.js';

const ALIGN = 64;
const PAGE = 65536;

export interface Arena {
  /** byte offset of a fresh zero-filled block of at least `bytes` bytes */
  alloc(bytes: number): number;
  free(offset: number): void;
  /** size of the live block at offset, undefined if none starts there */
  sizeOf(offset: number): number | undefined;
  stats(): { allocatedBytes: number; peakBytes: number; heapBytes: number };
}

interface Block {
  off: number;
  size: number;
}

export function createArena(memory: WasmMemory, base: number, maxPages: number): Arena {
  const live = new Map<number, number>();
  const freeList: Block[] = []; // sorted by offset, never adjacent (coalesced)
  let top = align(base); // end of the region ever handed out
  let allocated = 0;
  let peak = 0;

  const heapEnd = () => memory.buffer.byteLength;

  function take(bytes: number): number {
    for (let i = 0; i < freeList.length; i++) {
      const b = freeList[i];
      if (b.size < bytes) continue;
      const off = b.off;
      if (b.size === bytes) freeList.splice(i, 1);
      else {
        b.off += bytes;
        b.size -= bytes;
      }
      new Uint8Array(memory.buffer, off, bytes).fill(0);
      return off;
    }
    // Nothing fits: extend the top, merging a free block that ends at the top.
    const last = freeList[freeList.length - 1];
    let start = top;
    if (last && last.off + last.size === top) {
      start = last.off;
      freeList.pop();
      new Uint8Array(memory.buffer, start, top - start).fill(0);
    }
    const end = start + bytes;
    if (end > heapEnd()) {
      const pages = Math.ceil((end - heapEnd()) / PAGE);
      const have = heapEnd() / PAGE;
      if (have + pages > maxPages) {
        if (start !== top) insertFree(start, top - start);
        throw new ScmixError('ENGINE_FAILURE', `engine memory limit reached: need ${fmt(end)} of at most ${fmt(maxPages * PAGE)}`, {
          hint: 'free unused tensors, use a smaller batch, or raise the backend maxMemoryMiB option',
        });
      }
      memory.grow(pages);
    }
    top = Math.max(top, end);
    return start;
  }

  function insertFree(off: number, size: number): void {
    let i = 0;
    while (i < freeList.length && freeList[i].off < off) i++;
    freeList.splice(i, 0, { off, size });
    // coalesce with next, then with previous
    if (i + 1 < freeList.length && off + size === freeList[i + 1].off) {
      freeList[i].size += freeList[i + 1].size;
      freeList.splice(i + 1, 1);
    }
    if (i > 0 && freeList[i - 1].off + freeList[i - 1].size === off) {
      freeList[i - 1].size += freeList[i].size;
      freeList.splice(i, 1);
    }
  }

  return {
    alloc(bytes) {
      const size = Math.max(ALIGN, align(bytes));
      const off = take(size);
      live.set(off, size);
      allocated += size;
      peak = Math.max(peak, allocated);
      return off;
    },
    free(offset) {
      const size = live.get(offset);
      if (size === undefined) return; // not ours or already freed: ignore, as free(null) in C
      live.delete(offset);
      allocated -= size;
      insertFree(offset, size);
    },
    sizeOf: (offset) => live.get(offset),
    stats: () => ({ allocatedBytes: allocated, peakBytes: peak, heapBytes: heapEnd() }),
  };
}

const align = (n: number) => Math.ceil(n / ALIGN) * ALIGN;
const fmt = (b: number) => `${(b / 1048576).toFixed(1)} MiB`;
