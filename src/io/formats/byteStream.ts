/**
 * Streaming bytes and lines out of plain or gzip files without building a string of the whole
 * file. gzip is detected by its magic bytes (1f 8b), not by the file name, so `matrix.mtx`
 * that is secretly gzipped (or `.gz` that is not) still reads.
 */
import { createReadStream, openSync, readSync, closeSync, statSync, readFileSync } from 'node:fs';
import { createGunzip, gunzipSync } from 'node:zlib';
import { ScmixError } from '../../errors.js';

/** Fails with INPUT_MISSING naming the file when `path` does not exist or is not a file. */
export function assertFile(path: string, what = 'file'): number {
  let st;
  try {
    st = statSync(path);
  } catch {
    throw new ScmixError('INPUT_MISSING', `${what} not found: ${path}`);
  }
  if (!st.isFile()) throw new ScmixError('INPUT_FORMAT', `${path}: expected a ${what}, found a folder`);
  return st.size;
}

/** True when the first two bytes are the gzip magic. */
export function isGzipFile(path: string): boolean {
  const fd = openSync(path, 'r');
  try {
    const b = Buffer.alloc(2);
    const n = readSync(fd, b, 0, 2, 0);
    return n === 2 && b[0] === 0x1f && b[1] === 0x8b;
  } finally {
    closeSync(fd);
  }
}

function gzipError(path: string, err: unknown): ScmixError {
  const msg = (err as Error)?.message ?? String(err);
  return new ScmixError('INPUT_FORMAT', `${path}: truncated or corrupt gzip data (${msg})`, {
    hint: 'the file was probably cut short while copying or downloading; fetch it again',
    cause: err,
  });
}

/**
 * Decompressed chunks of a file. `onBytes(compressedBytesRead, fileSize)` reports progress on
 * the file as stored. A truncated gzip stream throws INPUT_FORMAT naming the file.
 */
export async function* readChunks(
  path: string,
  onBytes?: (read: number, total: number) => void,
): AsyncGenerator<Buffer> {
  const size = assertFile(path);
  const gz = isGzipFile(path);
  const raw = createReadStream(path, { highWaterMark: 1 << 20 });
  let read = 0;
  raw.on('data', (c) => {
    read += (c as Buffer).length;
    onBytes?.(read, size);
  });
  if (!gz) {
    for await (const chunk of raw) yield chunk as Buffer;
    return;
  }
  const gunzip = createGunzip({ chunkSize: 1 << 20 });
  raw.on('error', (e) => gunzip.destroy(e));
  raw.pipe(gunzip);
  try {
    for await (const chunk of gunzip) yield chunk as Buffer;
  } catch (err) {
    throw gzipError(path, err);
  } finally {
    raw.destroy();
  }
}

/**
 * Calls `onLine(buf, start, end, lineNo)` for every line (without the newline and a trailing
 * CR); `lineNo` is 1-based. `buf` is only valid during the call. Return `false` to stop early.
 */
export async function forEachLine(
  path: string,
  onLine: (buf: Buffer, start: number, end: number, lineNo: number) => boolean | void,
  onBytes?: (read: number, total: number) => void,
): Promise<void> {
  let carry: Buffer | null = null;
  let lineNo = 0;
  for await (let chunk of readChunks(path, onBytes)) {
    if (carry) {
      chunk = Buffer.concat([carry, chunk]);
      carry = null;
    }
    let s = 0;
    for (;;) {
      const nl = chunk.indexOf(10, s);
      if (nl < 0) break;
      lineNo++;
      const e = nl > s && chunk[nl - 1] === 13 ? nl - 1 : nl;
      if (onLine(chunk, s, e, lineNo) === false) return;
      s = nl + 1;
    }
    if (s < chunk.length) carry = Buffer.from(chunk.subarray(s));
  }
  if (carry && carry.length > 0) {
    lineNo++;
    const e = carry[carry.length - 1] === 13 ? carry.length - 1 : carry.length;
    onLine(carry, 0, e, lineNo);
  }
}

/**
 * The whole text of a small file (barcodes, features, Cells.csv), gunzipped if needed. Only for
 * side files: matrices go through {@link forEachLine}.
 */
export function readSmallText(path: string, what = 'file'): string {
  assertFile(path, what);
  const bytes = readFileSync(path);
  let text: string;
  if (bytes.length >= 2 && bytes[0] === 0x1f && bytes[1] === 0x8b) {
    try {
      text = gunzipSync(bytes).toString('utf8');
    } catch (err) {
      throw gzipError(path, err);
    }
  } else {
    text = bytes.toString('utf8');
  }
  // A UTF-8 byte-order mark (spreadsheet exports) would otherwise stick to the first field.
  return text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
}

/** Non-empty lines of a small text file, CR stripped. Trailing empty lines are dropped. */
export function readSmallLines(path: string, what = 'file'): string[] {
  const lines = readSmallText(path, what).split('\n');
  for (let i = 0; i < lines.length; i++) if (lines[i].endsWith('\r')) lines[i] = lines[i].slice(0, -1);
  while (lines.length > 0 && lines[lines.length - 1] === '') lines.pop();
  return lines;
}
