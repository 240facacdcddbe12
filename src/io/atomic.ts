/**
 * Atomic outputs: every file scmix produces is written to a temporary sibling and renamed into
 * place only when complete, so a killed run or a failed write never leaves a partial file under
 * the final name. rename(2) within one folder is atomic on POSIX file systems.
 */
import { closeSync, fsyncSync, openSync, renameSync, rmSync, writeSync, mkdirSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';

let counter = 0;

/** A temporary path next to `path` (same folder, so the final rename cannot cross devices). */
export function tempPathFor(path: string): string {
  counter++;
  return join(dirname(path), `.${basename(path)}.tmp-${process.pid}-${Date.now().toString(36)}-${counter}`);
}

/** Write bytes or text to `path` atomically (temp + fsync + rename). Creates the parent folder. */
export function writeFileAtomic(path: string, content: string | Uint8Array): void {
  mkdirSync(dirname(path), { recursive: true });
  const tmp = tempPathFor(path);
  try {
    const fd = openSync(tmp, 'w');
    try {
      const buf = typeof content === 'string' ? Buffer.from(content, 'utf8') : content;
      let off = 0;
      while (off < buf.byteLength) off += writeSync(fd, buf, off, buf.byteLength - off);
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    renameSync(tmp, path);
  } catch (err) {
    rmSync(tmp, { force: true });
    throw err;
  }
}

/**
 * Let `write(tmpPath)` produce the file (any writer: h5wasm, streams, ...), then rename it to
 * `path`. On any error the temporary file is removed and the error rethrown; `path` is untouched.
 */
export async function withAtomicPath<T>(path: string, write: (tmpPath: string) => T | Promise<T>): Promise<T> {
  mkdirSync(dirname(path), { recursive: true });
  const tmp = tempPathFor(path);
  try {
    const result = await write(tmp);
    renameSync(tmp, path);
    return result;
  } catch (err) {
    rmSync(tmp, { force: true, recursive: true });
    throw err;
  }
}

/** Synchronous variant of withAtomicPath for synchronous writers. */
export function withAtomicPathSync<T>(path: string, write: (tmpPath: string) => T): T {
  mkdirSync(dirname(path), { recursive: true });
  const tmp = tempPathFor(path);
  try {
    const result = write(tmp);
    renameSync(tmp, path);
    return result;
  } catch (err) {
    rmSync(tmp, { force: true, recursive: true });
    throw err;
  }
}
