/**
 * Token dataset on disk: a folder with
 *   tokens.bin     header + int32 token ids + int64 offsets + int32 lengths (little-endian)
 *   obs.json       { index: string[], sourceRows: number[], columns: { name: values[] } }
 *   manifest.json  provenance: input sha256, dictionaries, encoding, kept/dropped counts
 *   dictionaries/  (only when the dictionaries were computed from the input)
 *
 * tokens.bin layout (all sections 8-byte aligned so each can be mapped as a typed array):
 *   0   magic "SCMXTOK\0" (8 bytes)     8  version u32 (=1)        12 header bytes u32 (=64)
 *   16  nCells u64                       24 nTokens u64
 *   32  ids byte offset u64              40 offsets byte offset u64 (int64 [nCells+1])
 *   48  lengths byte offset u64 (int32 [nCells])
 *   56  vocabSize u32                    60 flags u32 (bit 0: <cls>/<eos> present)
 * The ids come first so the writer can stream them; offsets and lengths follow once the cell
 * count is known, and the header is written last.
 */
import { closeSync, existsSync, fsyncSync, mkdirSync, openSync, readdirSync, readFileSync, readSync, renameSync, rmSync, writeSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { ScmixError } from '../../../errors.js';
import { tempPathFor, writeFileAtomic } from '../../../io/index.js';

export const TOKENS_MAGIC = 'SCMXTOK\0';
export const TOKENS_VERSION = 1;
const HEADER_BYTES = 64;

/** Per-cell metadata carried with the tokens. */
export interface TokenObs {
  /** obs name of each kept cell */
  readonly index: string[];
  /** row of each kept cell in the input file */
  readonly sourceRows: number[];
  /** chosen obs columns, values per kept cell (categoricals as strings, missing as null) */
  readonly columns: Record<string, (string | number | boolean | null)[]>;
}

/** An opened token dataset. `cell(i)` reads from disk; close() releases the file. */
export interface TokenDataset {
  readonly dir: string;
  readonly nCells: number;
  readonly nTokens: number;
  readonly vocabSize: number;
  readonly specialTokens: boolean;
  readonly obs: TokenObs;
  readonly manifest: Record<string, unknown>;
  /** [nCells] tokens per cell */
  readonly lengths: Int32Array;
  length(i: number): number;
  /** token ids of cell i (a fresh array) */
  cell(i: number): Int32Array;
  close(): void;
}

/** Streaming writer: append blocks, then finish() renames the finished folder into place. */
export interface TokenDatasetWriter {
  /** append cells: lengths [n], ids [sum(lengths)] */
  append(lengths: Int32Array, ids: Int32Array): void;
  /** write obs + manifest (+ extra files), header; move the folder to its final path */
  finish(obs: TokenObs, manifest: Record<string, unknown>, extraFiles?: Record<string, string | Uint8Array>): void;
  /** remove the temporary folder (on failure) */
  abort(): void;
}

/**
 * Start a token dataset at `dir`. Everything goes to a temporary sibling folder first.
 * @throws CONFIG_INVALID when `dir` exists and is not empty, unless overwrite
 */
export function createTokenDatasetWriter(dir: string, opts: { vocabSize: number; specialTokens: boolean; overwrite?: boolean }): TokenDatasetWriter {
  if (existsSync(dir) && !opts.overwrite && !isEmptyDir(dir)) {
    throw new ScmixError('CONFIG_INVALID', `output folder ${dir} already exists`, { hint: 'choose a new --out folder or pass --overwrite' });
  }
  mkdirSync(dirname(dir), { recursive: true });
  const tmp = tempPathFor(dir);
  mkdirSync(tmp);
  const fd = openSync(join(tmp, 'tokens.bin'), 'w');
  writeSync(fd, new Uint8Array(HEADER_BYTES));
  let nTokens = 0;
  const lengthChunks: Int32Array[] = [];
  let nCells = 0;
  let closed = false;
  const closeFd = () => {
    if (!closed) closeSync(fd);
    closed = true;
  };
  return {
    append(lengths, ids) {
      if (ids.length) writeAll(fd, new Uint8Array(ids.buffer, ids.byteOffset, ids.byteLength));
      nTokens += ids.length;
      nCells += lengths.length;
      lengthChunks.push(lengths.slice());
    },
    finish(obs, manifest, extraFiles = {}) {
      if (obs.index.length !== nCells) throw new ScmixError('INTERNAL', `token dataset: ${obs.index.length} obs rows for ${nCells} cells`);
      const idsBytes = nTokens * 4;
      const pad = (8 - ((HEADER_BYTES + idsBytes) % 8)) % 8;
      if (pad) writeAll(fd, new Uint8Array(pad));
      const offsetsAt = HEADER_BYTES + idsBytes + pad;
      const offsets = new BigInt64Array(nCells + 1);
      const lengths = new Int32Array(nCells);
      let c = 0;
      let acc = 0;
      for (const ch of lengthChunks) {
        for (let i = 0; i < ch.length; i++) {
          offsets[c] = BigInt(acc);
          lengths[c] = ch[i];
          acc += ch[i];
          c++;
        }
      }
      offsets[nCells] = BigInt(acc);
      writeAll(fd, new Uint8Array(offsets.buffer));
      const lengthsAt = offsetsAt + offsets.byteLength;
      writeAll(fd, new Uint8Array(lengths.buffer));
      const h = Buffer.alloc(HEADER_BYTES);
      h.write(TOKENS_MAGIC, 0, 'latin1');
      h.writeUInt32LE(TOKENS_VERSION, 8);
      h.writeUInt32LE(HEADER_BYTES, 12);
      h.writeBigUInt64LE(BigInt(nCells), 16);
      h.writeBigUInt64LE(BigInt(nTokens), 24);
      h.writeBigUInt64LE(BigInt(HEADER_BYTES), 32);
      h.writeBigUInt64LE(BigInt(offsetsAt), 40);
      h.writeBigUInt64LE(BigInt(lengthsAt), 48);
      h.writeUInt32LE(opts.vocabSize, 56);
      h.writeUInt32LE(opts.specialTokens ? 1 : 0, 60);
      writeSync(fd, h, 0, HEADER_BYTES, 0);
      fsyncSync(fd);
      closeFd();
      writeFileAtomic(join(tmp, 'obs.json'), JSON.stringify(obs));
      writeFileAtomic(join(tmp, 'manifest.json'), JSON.stringify(manifest, null, 2) + '\n');
      for (const [name, content] of Object.entries(extraFiles)) writeFileAtomic(join(tmp, name), content);
      // swap into place: old folder (if any) is moved aside first, then removed
      let old: string | undefined;
      if (existsSync(dir)) {
        old = tempPathFor(dir);
        renameSync(dir, old);
      }
      renameSync(tmp, dir);
      if (old) rmSync(old, { recursive: true, force: true });
    },
    abort() {
      closeFd();
      rmSync(tmp, { recursive: true, force: true });
    },
  };
}

/**
 * Write a whole token dataset from memory (tests, small sets).
 * @param cells token ids per cell
 */
export function writeTokenDataset(
  dir: string,
  cells: readonly Int32Array[],
  obs: TokenObs,
  manifest: Record<string, unknown>,
  opts: { vocabSize: number; specialTokens?: boolean; overwrite?: boolean },
): void {
  const w = createTokenDatasetWriter(dir, { vocabSize: opts.vocabSize, specialTokens: opts.specialTokens ?? false, overwrite: opts.overwrite });
  try {
    const lengths = Int32Array.from(cells, (c) => c.length);
    const ids = new Int32Array(lengths.reduce((a, b) => a + b, 0));
    let o = 0;
    for (const c of cells) {
      ids.set(c, o);
      o += c.length;
    }
    w.append(lengths, ids);
    w.finish(obs, manifest);
  } catch (e) {
    w.abort();
    throw e;
  }
}

/**
 * Open a token dataset folder. Offsets and lengths are read into memory; ids are read per cell.
 * @throws INPUT_MISSING when tokens.bin is absent; INPUT_FORMAT on a bad magic/version/size
 */
export function openTokenDataset(dir: string): TokenDataset {
  const binPath = join(dir, 'tokens.bin');
  if (!existsSync(binPath)) {
    throw new ScmixError('INPUT_MISSING', `${dir} is not a token dataset (no tokens.bin)`, { hint: 'create one with `scmix tokenize IN.h5ad --out DIR`' });
  }
  const fd = openSync(binPath, 'r');
  try {
    const h = Buffer.alloc(HEADER_BYTES);
    const got = readSync(fd, h, 0, HEADER_BYTES, 0);
    const bad = (m: string): never => {
      throw new ScmixError('INPUT_FORMAT', `${binPath}: ${m}`);
    };
    if (got < HEADER_BYTES || h.toString('latin1', 0, 8) !== TOKENS_MAGIC) bad('not a scmix token file (bad magic)');
    const version = h.readUInt32LE(8);
    if (version !== TOKENS_VERSION) bad(`token file version ${version}; this scmix reads version ${TOKENS_VERSION}`);
    const nCells = Number(h.readBigUInt64LE(16));
    const nTokens = Number(h.readBigUInt64LE(24));
    const idsAt = Number(h.readBigUInt64LE(32));
    const offsetsAt = Number(h.readBigUInt64LE(40));
    const lengthsAt = Number(h.readBigUInt64LE(48));
    const vocabSize = h.readUInt32LE(56);
    const flags = h.readUInt32LE(60);
    const offBuf = Buffer.alloc((nCells + 1) * 8);
    if (readSync(fd, offBuf, 0, offBuf.length, offsetsAt) !== offBuf.length) bad('truncated (offsets)');
    const lenBuf = Buffer.alloc(nCells * 4);
    if (nCells && readSync(fd, lenBuf, 0, lenBuf.length, lengthsAt) !== lenBuf.length) bad('truncated (lengths)');
    const offsets = new BigInt64Array(offBuf.buffer, offBuf.byteOffset, nCells + 1);
    const lengths = new Int32Array(lenBuf.buffer.slice(lenBuf.byteOffset, lenBuf.byteOffset + lenBuf.length));
    const start = new Float64Array(nCells);
    for (let i = 0; i < nCells; i++) start[i] = Number(offsets[i]);
    if (Number(offsets[nCells]) !== nTokens) bad('offsets do not end at the token count');
    const obs = JSON.parse(readFileSync(join(dir, 'obs.json'), 'utf8')) as TokenObs;
    if (obs.index.length !== nCells) bad(`obs.json has ${obs.index.length} rows for ${nCells} cells`);
    const manifest = existsSync(join(dir, 'manifest.json')) ? (JSON.parse(readFileSync(join(dir, 'manifest.json'), 'utf8')) as Record<string, unknown>) : {};
    let open = true;
    return {
      dir,
      nCells,
      nTokens,
      vocabSize,
      specialTokens: (flags & 1) === 1,
      obs,
      manifest,
      lengths,
      length: (i) => lengths[i],
      cell(i) {
        if (!open) throw new ScmixError('INTERNAL', `token dataset ${dir} is closed`);
        if (!(i >= 0 && i < nCells)) throw new RangeError(`cell ${i} outside 0..${nCells - 1}`);
        const out = new Int32Array(lengths[i]);
        if (out.length) readSync(fd, new Uint8Array(out.buffer), 0, out.byteLength, idsAt + start[i] * 4);
        return out;
      },
      close() {
        if (open) closeSync(fd);
        open = false;
      },
    };
  } catch (e) {
    closeSync(fd);
    throw e;
  }
}

function writeAll(fd: number, b: Uint8Array): void {
  let off = 0;
  while (off < b.byteLength) off += writeSync(fd, b, off, b.byteLength - off);
}

function isEmptyDir(dir: string): boolean {
  try {
    return readdirSync(dir).length === 0;
  } catch {
    return false;
  }
}
