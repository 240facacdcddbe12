/**
 * Make written HDF5 files byte-reproducible. libhdf5 stores access/modification/change/birth
 * times in every version-2 object header ("OHDR", flag 0x20) because object time tracking is on
 * by default, and neither h5wasm nor scran.js exposes H5Pset_obj_track_times. We zero those 16
 * bytes and recompute the header chunk's Jenkins lookup3 checksum. A candidate is only patched
 * when its stored checksum verifies first, so "OHDR" bytes inside user data are never touched.
 */
import { closeSync, fstatSync, openSync, readSync, writeSync } from 'node:fs';

const rot = (x: number, k: number): number => (x << k) | (x >>> (32 - k));

/** Bob Jenkins' lookup3 hashlittle, as libhdf5's H5_checksum_lookup3 (initval 0). */
export function lookup3(k: Uint8Array, initval = 0): number {
  let length = k.length;
  let a = (0xdeadbeef + length + initval) | 0;
  let b = a, c = a, o = 0;
  const w = (i: number): number => k[i] | (k[i + 1] << 8) | (k[i + 2] << 16) | (k[i + 3] << 24);
  while (length > 12) {
    a = (a + w(o)) | 0; b = (b + w(o + 4)) | 0; c = (c + w(o + 8)) | 0;
    a = (a - c) | 0; a ^= rot(c, 4); c = (c + b) | 0;
    b = (b - a) | 0; b ^= rot(a, 6); a = (a + c) | 0;
    c = (c - b) | 0; c ^= rot(b, 8); b = (b + a) | 0;
    a = (a - c) | 0; a ^= rot(c, 16); c = (c + b) | 0;
    b = (b - a) | 0; b ^= rot(a, 19); a = (a + c) | 0;
    c = (c - b) | 0; c ^= rot(b, 4); b = (b + a) | 0;
    length -= 12;
    o += 12;
  }
  if (length === 0) return c >>> 0;
  // tail bytes, little-endian into c (bytes 8..11), b (4..7), a (0..3)
  for (let i = length - 1; i >= 0; i--) {
    const v = k[o + i] << (8 * (i % 4));
    if (i >= 8) c = (c + v) | 0;
    else if (i >= 4) b = (b + v) | 0;
    else a = (a + v) | 0;
  }
  c ^= b; c = (c - rot(b, 14)) | 0;
  a ^= c; a = (a - rot(c, 11)) | 0;
  b ^= a; b = (b - rot(a, 25)) | 0;
  c ^= b; c = (c - rot(b, 16)) | 0;
  a ^= c; a = (a - rot(c, 4)) | 0;
  b ^= a; b = (b - rot(a, 14)) | 0;
  c ^= b; c = (c - rot(b, 24)) | 0;
  return c >>> 0;
}

const SIG = [0x4f, 0x48, 0x44, 0x52]; // "OHDR"
const SCAN = 16 << 20;

/** Zero the object-header timestamps of the HDF5 file at `path` in place; returns headers patched. */
export function stripHdf5Times(path: string): number {
  const fd = openSync(path, 'r+');
  let patched = 0;
  try {
    const size = fstatSync(fd).size;
    const buf = Buffer.alloc(SCAN + 3);
    const candidates: number[] = [];
    for (let pos = 0; pos < size; pos += SCAN) {
      const n = readSync(fd, buf, 0, Math.min(SCAN + 3, size - pos), pos);
      for (let i = buf.indexOf('OHDR', 0, 'latin1'); i >= 0 && i + 4 <= n; i = buf.indexOf('OHDR', i + 1, 'latin1')) {
        if (i < SCAN || pos + SCAN >= size) candidates.push(pos + i);
      }
    }
    const head = Buffer.alloc(32);
    for (const at of candidates) {
      if (readSync(fd, head, 0, 32, at) < 16 || head[4] !== 2 || !(head[5] & 0x20)) continue;
      if (SIG.some((s, j) => head[j] !== s)) continue;
      const flags = head[5];
      const sizeBytes = 1 << (flags & 3);
      const sizeAt = 6 + 16 + (flags & 0x10 ? 4 : 0);
      let chunk0 = 0;
      for (let j = sizeBytes - 1; j >= 0; j--) chunk0 = chunk0 * 256 + head[sizeAt + j];
      const total = sizeAt + sizeBytes + chunk0; // bytes covered by the checksum
      if (chunk0 <= 0 || at + total + 4 > size || total > 1 << 26) continue;
      const hdr = Buffer.alloc(total + 4);
      readSync(fd, hdr, 0, total + 4, at);
      if (lookup3(hdr.subarray(0, total)) !== hdr.readUInt32LE(total)) continue;
      hdr.fill(0, 6, 22);
      hdr.writeUInt32LE(lookup3(hdr.subarray(0, total)), total);
      writeSync(fd, hdr, 0, total + 4, at);
      patched++;
    }
  } finally {
    closeSync(fd);
  }
  return patched;
}
