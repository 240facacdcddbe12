/**
 * Byte-identical corpora: HDF5 stamps every version-2 object header with access / modification /
 * change / birth times (H5Pset_obj_track_times defaults to on, and h5wasm does not expose it), so
 * two writes of the same AnnData differ in those 16 bytes per object and in the header checksum.
 * This rewrites each such stamp to 0 and recomputes the header's Jenkins lookup3 checksum, which
 * is exactly what the file would hold had time tracking been off. A candidate header is patched
 * only when its stored checksum verifies, so bytes that merely look like "OHDR" are never touched.
 */
import { closeSync, fstatSync, openSync, readSync, writeSync } from 'node:fs';

/** Jenkins lookup3 `hashlittle` (HDF5 H5_checksum_lookup3), byte-wise. */
export function lookup3(k: Uint8Array, initval = 0): number {
  let length = k.length;
  let a = (0xdeadbeef + length + initval) >>> 0;
  let b = a;
  let c = a;
  const rot = (x: number, r: number) => ((x << r) | (x >>> (32 - r))) >>> 0;
  let o = 0;
  while (length > 12) {
    a = (a + (k[o] | (k[o + 1] << 8) | (k[o + 2] << 16) | (k[o + 3] << 24))) >>> 0;
    b = (b + (k[o + 4] | (k[o + 5] << 8) | (k[o + 6] << 16) | (k[o + 7] << 24))) >>> 0;
    c = (c + (k[o + 8] | (k[o + 9] << 8) | (k[o + 10] << 16) | (k[o + 11] << 24))) >>> 0;
    a = (a - c) >>> 0; a = (a ^ rot(c, 4)) >>> 0; c = (c + b) >>> 0;
    b = (b - a) >>> 0; b = (b ^ rot(a, 6)) >>> 0; a = (a + c) >>> 0;
    c = (c - b) >>> 0; c = (c ^ rot(b, 8)) >>> 0; b = (b + a) >>> 0;
    a = (a - c) >>> 0; a = (a ^ rot(c, 16)) >>> 0; c = (c + b) >>> 0;
    b = (b - a) >>> 0; b = (b ^ rot(a, 19)) >>> 0; a = (a + c) >>> 0;
    c = (c - b) >>> 0; c = (c ^ rot(b, 4)) >>> 0; b = (b + a) >>> 0;
    length -= 12;
    o += 12;
  }
  if (length === 0) return c;
  // Tail bytes (the C version's fall-through switch).
  const t = (i: number, s: number) => (i < length ? k[o + i] << s : 0) >>> 0;
  c = (c + t(8, 0) + t(9, 8) + t(10, 16) + t(11, 24)) >>> 0;
  b = (b + t(4, 0) + t(5, 8) + t(6, 16) + t(7, 24)) >>> 0;
  a = (a + t(0, 0) + t(1, 8) + t(2, 16) + t(3, 24)) >>> 0;
  c = (c ^ b) >>> 0; c = (c - rot(b, 14)) >>> 0;
  a = (a ^ c) >>> 0; a = (a - rot(c, 11)) >>> 0;
  b = (b ^ a) >>> 0; b = (b - rot(a, 25)) >>> 0;
  c = (c ^ b) >>> 0; c = (c - rot(b, 16)) >>> 0;
  a = (a ^ c) >>> 0; a = (a - rot(c, 4)) >>> 0;
  b = (b ^ a) >>> 0; b = (b - rot(a, 14)) >>> 0;
  c = (c ^ b) >>> 0; c = (c - rot(b, 24)) >>> 0;
  return c;
}

/** Zero the object-header times of an HDF5 file in place; returns how many headers were patched. */
export function zeroHdf5Times(path: string): number {
  const fd = openSync(path, 'r+');
  try {
    const size = fstatSync(fd).size;
    const buf = Buffer.allocUnsafe(size);
    let off = 0;
    while (off < size) off += readSync(fd, buf, off, size - off, off);
    const patched = patchBuffer(buf);
    for (const [start, end] of patched) writeSync(fd, buf, start, end - start, start);
    return patched.length;
  } finally {
    closeSync(fd);
  }
}

/** Patch every verified v2 object header with times in `buf`; returns the changed byte ranges. */
export function patchBuffer(buf: Buffer): [number, number][] {
  const out: [number, number][] = [];
  let i = buf.indexOf('OHDR', 0, 'latin1');
  while (i >= 0) {
    const range = patchHeader(buf, i);
    if (range) out.push(range);
    i = buf.indexOf('OHDR', i + 4, 'latin1');
  }
  return out;
}

function patchHeader(buf: Buffer, p: number): [number, number] | null {
  if (buf[p + 4] !== 2) return null;
  const flags = buf[p + 5];
  if (!(flags & 0x20)) return null; // no times stored
  let q = p + 6 + 16; // after the four 32-bit times
  if (flags & 0x10) q += 4; // max compact / min dense attribute counts
  const sizeBytes = 1 << (flags & 0x03);
  if (q + sizeBytes > buf.length) return null;
  let chunk = 0;
  for (let j = sizeBytes - 1; j >= 0; j--) chunk = chunk * 256 + buf[q + j];
  const end = q + sizeBytes + chunk; // checksum follows chunk 0
  if (end + 4 > buf.length) return null;
  if (lookup3(buf.subarray(p, end)) !== buf.readUInt32LE(end)) return null;
  buf.fill(0, p + 6, p + 22);
  buf.writeUInt32LE(lookup3(buf.subarray(p, end)), end);
  return [p, end + 4];
}
