import { createHash } from 'node:crypto';
import { createReadStream, existsSync } from 'node:fs';
import { ScmixError } from '../../../errors.js';
import { openH5ad } from '../../../io/index.js';
import { tokenizeCells, type CellBlockSource, type TokenizeOptions, type TokenizeReport } from './tokenizeCells.js';

/**
 * Tokenize an h5ad file (raw counts in X, or in `layer`) into a token dataset folder, streaming
 * the matrix in row blocks; the input's sha256 goes into the manifest.
 * @throws INPUT_MISSING when the file does not exist; see tokenizeCells for the rest
 */
export async function tokenizeH5ad(
  path: string,
  out: string,
  opts: Omit<TokenizeOptions, 'sourcePath' | 'inputSha256'> & { layer?: string },
): Promise<TokenizeReport> {
  if (!existsSync(path)) throw new ScmixError('INPUT_MISSING', `${path} does not exist`);
  const sha = await sha256File(path);
  const reader = await openH5ad(path);
  try {
    const source: CellBlockSource = {
      shape: reader.shape,
      obs: reader.obs,
      var: reader.var,
      rowBlocks: (n: number) => reader.rowBlocks(n, opts.layer === undefined ? undefined : { layer: opts.layer }),
    };
    return await tokenizeCells(source, out, { ...opts, sourcePath: path, inputSha256: sha });
  } finally {
    reader.close();
  }
}

/** sha256 of a file, streamed. */
export function sha256File(path: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const h = createHash('sha256');
    createReadStream(path)
      .on('data', (b) => h.update(b))
      .on('error', reject)
      .on('end', () => resolve(h.digest('hex')));
  });
}
