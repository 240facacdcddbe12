/**
 * safetensors (Hugging Face) read/write: an 8-byte little-endian header length, a JSON header
 * {name: {dtype, shape, data_offsets: [begin, end]}, "__metadata__": {str: str}}, then the raw
 * little-endian tensor bytes. Used for LDVAE checkpoints (scvi-tools parameter names), Geneformer
 * checkpoints (HF BERT layout) and optimizer state.
 *
 * Tensors are written sorted by element size (descending) then name, as the reference
 * implementation does, so every tensor starts aligned to its element size and output bytes are
 * deterministic. F16/BF16 are accepted on read and widened to float32.
 */
import { readFileSync, existsSync } from 'node:fs';
import { ScmixError } from '../errors.js';
import { writeFileAtomic } from './atomic.js';

export type SafetensorsDtype = 'F64' | 'F32' | 'F16' | 'BF16' | 'I64' | 'I32' | 'I16' | 'I8' | 'U8' | 'BOOL';
export type TensorData = Float64Array | Float32Array | BigInt64Array | Int32Array | Int16Array | Int8Array | Uint8Array;

export interface TensorEntry {
  dtype: SafetensorsDtype;
  shape: number[];
  /** F16/BF16 come back as Float32Array; BOOL as Uint8Array (0/1). */
  data: TensorData;
}

export interface Safetensors {
  tensors: Map<string, TensorEntry>;
  metadata: Record<string, string>;
}

const SIZE: Record<SafetensorsDtype, number> = { F64: 8, F32: 4, F16: 2, BF16: 2, I64: 8, I32: 4, I16: 2, I8: 1, U8: 1, BOOL: 1 };

/** Read a .safetensors file. @throws INPUT_MISSING, INPUT_FORMAT (names the file and the problem) */
export function readSafetensors(path: string): Safetensors {
  if (!existsSync(path)) throw new ScmixError('INPUT_MISSING', `${path}: file not found`);
  return decodeSafetensors(readFileSync(path), path);
}

/** Decode safetensors bytes; `label` names the source in errors. */
export function decodeSafetensors(buf: Uint8Array, label = '<buffer>'): Safetensors {
  const bad = (what: string) => new ScmixError('INPUT_FORMAT', `${label}: not a valid safetensors file (${what})`);
  if (buf.byteLength < 8) throw bad('shorter than the 8-byte header length');
  const view = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  const headerLen = Number(view.getBigUint64(0, true));
  if (headerLen > buf.byteLength - 8 || headerLen > 100_000_000) throw bad(`header length ${headerLen} exceeds the file size ${buf.byteLength}: truncated?`);
  let header: Record<string, unknown>;
  try {
    header = JSON.parse(Buffer.from(buf.buffer, buf.byteOffset + 8, headerLen).toString('utf8'));
  } catch (e) {
    throw bad(`header is not JSON: ${(e as Error).message}`);
  }
  const base = 8 + headerLen;
  const dataLen = buf.byteLength - base;
  const tensors = new Map<string, TensorEntry>();
  let metadata: Record<string, string> = {};
  for (const [name, raw] of Object.entries(header)) {
    if (name === '__metadata__') {
      metadata = (raw ?? {}) as Record<string, string>;
      continue;
    }
    const info = raw as { dtype?: string; shape?: number[]; data_offsets?: [number, number] };
    const dtype = info.dtype as SafetensorsDtype;
    if (!(dtype in SIZE)) throw bad(`tensor '${name}' has unsupported dtype ${info.dtype}`);
    const shape = info.shape ?? [];
    const [begin, end] = info.data_offsets ?? [-1, -1];
    const count = shape.reduce((a, b) => a * b, 1);
    if (!(begin >= 0 && end >= begin && end <= dataLen)) throw bad(`tensor '${name}' offsets [${begin}, ${end}] outside the ${dataLen}-byte data section: truncated?`);
    if (end - begin !== count * SIZE[dtype]) throw bad(`tensor '${name}' has ${end - begin} bytes but shape [${shape}] of ${dtype} needs ${count * SIZE[dtype]}`);
    // Copy into a fresh, aligned buffer: the file offset need not be aligned for typed-array views.
    const bytes = buf.slice(base + begin, base + end);
    tensors.set(name, { dtype, shape, data: toTyped(dtype, bytes, count) });
  }
  return { tensors, metadata };
}

function toTyped(dtype: SafetensorsDtype, bytes: Uint8Array, n: number): TensorData {
  const ab = bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength);
  switch (dtype) {
    case 'F64': return new Float64Array(ab);
    case 'F32': return new Float32Array(ab);
    case 'I64': return new BigInt64Array(ab);
    case 'I32': return new Int32Array(ab);
    case 'I16': return new Int16Array(ab);
    case 'I8': return new Int8Array(ab);
    case 'U8':
    case 'BOOL': return new Uint8Array(ab);
    case 'F16': {
      const h = new Uint16Array(ab);
      const out = new Float32Array(n);
      for (let i = 0; i < n; i++) out[i] = halfToFloat(h[i]);
      return out;
    }
    case 'BF16': {
      const h = new Uint16Array(ab);
      const u = new Uint32Array(n);
      for (let i = 0; i < n; i++) u[i] = h[i] << 16;
      return new Float32Array(u.buffer);
    }
  }
}

function halfToFloat(h: number): number {
  const s = h & 0x8000 ? -1 : 1;
  const e = (h >> 10) & 0x1f;
  const f = h & 0x3ff;
  if (e === 0) return s * f * 2 ** -24;
  if (e === 31) return f ? NaN : s * Infinity;
  return s * (1 + f / 1024) * 2 ** (e - 15);
}

/** Default dtype for a typed array when the caller gives none. */
function dtypeOf(data: TensorData): SafetensorsDtype {
  if (data instanceof Float64Array) return 'F64';
  if (data instanceof Float32Array) return 'F32';
  if (data instanceof BigInt64Array) return 'I64';
  if (data instanceof Int32Array) return 'I32';
  if (data instanceof Int16Array) return 'I16';
  if (data instanceof Int8Array) return 'I8';
  return 'U8';
}

export type TensorInput = { dtype?: SafetensorsDtype; shape: number[]; data: TensorData };

/** Encode tensors (deterministic byte order). Half types are not written. */
export function encodeSafetensors(tensors: Map<string, TensorInput> | Record<string, TensorInput>, metadata: Record<string, string> = {}): Uint8Array {
  const entries = (tensors instanceof Map ? [...tensors.entries()] : Object.entries(tensors)).map(([name, t]) => {
    const dtype = t.dtype ?? dtypeOf(t.data);
    if (dtype === 'F16' || dtype === 'BF16') throw new ScmixError('INTERNAL', `writing ${dtype} tensors is not supported ('${name}')`);
    const count = t.shape.reduce((a, b) => a * b, 1);
    if (count !== t.data.length) throw new ScmixError('SHAPE_MISMATCH', `tensor '${name}': shape [${t.shape}] has ${count} elements but data has ${t.data.length}`);
    if (SIZE[dtype] !== t.data.BYTES_PER_ELEMENT) throw new ScmixError('INTERNAL', `tensor '${name}': dtype ${dtype} does not match a ${t.data.constructor.name}`);
    return { name, dtype, shape: t.shape, data: t.data };
  });
  entries.sort((a, b) => SIZE[b.dtype] - SIZE[a.dtype] || (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  const header: Record<string, unknown> = {};
  if (Object.keys(metadata).length) header.__metadata__ = metadata;
  let off = 0;
  for (const e of entries) {
    const n = e.data.byteLength;
    header[e.name] = { dtype: e.dtype, shape: e.shape, data_offsets: [off, off + n] };
    off += n;
  }
  let json = JSON.stringify(header);
  json += ' '.repeat((8 - ((8 + Buffer.byteLength(json)) % 8)) % 8); // data section starts 8-aligned
  const hbytes = Buffer.from(json, 'utf8');
  const out = new Uint8Array(8 + hbytes.byteLength + off);
  new DataView(out.buffer).setBigUint64(0, BigInt(hbytes.byteLength), true);
  out.set(hbytes, 8);
  let p = 8 + hbytes.byteLength;
  for (const e of entries) {
    out.set(new Uint8Array(e.data.buffer, e.data.byteOffset, e.data.byteLength), p);
    p += e.data.byteLength;
  }
  return out;
}

/** Write a .safetensors file atomically. */
export function writeSafetensors(path: string, tensors: Map<string, TensorInput> | Record<string, TensorInput>, metadata: Record<string, string> = {}): void {
  writeFileAtomic(path, encodeSafetensors(tensors, metadata));
}
