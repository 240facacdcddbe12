import { createHash } from 'node:crypto';
import { closeSync, existsSync, openSync, readdirSync, readSync, statSync } from 'node:fs';
import { join } from 'node:path';

/** sha256 of a file, read in 4 MiB chunks (eval sets can be hundreds of MB). */
export function fileSha256(path: string): string {
  const h = createHash('sha256');
  const fd = openSync(path, 'r');
  try {
    const buf = Buffer.allocUnsafe(4 << 20);
    for (;;) {
      const n = readSync(fd, buf, 0, buf.length, null);
      if (n <= 0) break;
      h.update(buf.subarray(0, n));
    }
  } finally {
    closeSync(fd);
  }
  return h.digest('hex');
}

/**
 * sha256 of every regular file directly inside a folder (a checkpoint dir), by name. Dotfiles
 * (runner stamps such as .stage, which hold timestamps) are left out so reruns hash the same.
 */
export function dirSha256(dir: string): Record<string, string> {
  const out: Record<string, string> = {};
  if (!existsSync(dir)) return out;
  if (statSync(dir).isFile()) return { [dir]: fileSha256(dir) };
  for (const name of readdirSync(dir).sort()) {
    if (name.startsWith('.')) continue;
    const p = join(dir, name);
    if (statSync(p).isFile()) out[name] = fileSha256(p);
  }
  return out;
}
