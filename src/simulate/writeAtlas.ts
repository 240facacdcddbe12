/**
 * `scmix simulate`: write the simulated atlas as one .h5ad per source (raw counts, CSR) plus the
 * GTEx-like table `gtex_median_tpm.gct` and `atlas.json` (design and ground truth).
 */
import { join } from 'node:path';
import { mkdirSync } from 'node:fs';
import { writeFileAtomic } from '../io/atomic.js';
import { SCMIX_VERSION } from '../version.js';
import { SOURCES } from './atlasSpec.js';
import { simulateAtlas, type SimulateOptions } from './simulateAtlas.js';

export interface WriteAtlasResult {
  dir: string;
  files: { name: string; path: string; nCells: number; nGenes: number }[];
}

/**
 * Simulate and write the atlas into `dir` (created). Files are written atomically and are
 * byte-identical for the same options (writeH5ad zeroes HDF5 object times).
 */
export async function writeAtlas(dir: string, opts: SimulateOptions = {}): Promise<WriteAtlasResult> {
  const { writeH5ad } = await import('../io/index.js');
  mkdirSync(dir, { recursive: true });
  const atlas = simulateAtlas(opts);
  const files: WriteAtlasResult['files'] = [];
  for (const [name, adata] of atlas.sources) {
    const path = join(dir, `${name}.h5ad`);
    await writeH5ad(path, adata);
    files.push({ name, path, nCells: adata.X.nRows, nGenes: adata.X.nCols });
  }
  writeFileAtomic(join(dir, 'gtex_median_tpm.gct'), atlas.gct);
  const info = {
    scmixVersion: SCMIX_VERSION,
    seed: opts.seed ?? 0,
    scale: opts.scale ?? 1,
    nGenes: opts.nGenes ?? 600,
    sources: SOURCES.filter((s) => atlas.sources.has(s.name)).map((s) => ({ name: s.name, role: s.role, nCells: atlas.sources.get(s.name)!.X.nRows, qcFailRate: atlas.truth.qcFailRate[s.name] })),
    tfZ: atlas.truth.tfZ,
  };
  writeFileAtomic(join(dir, 'atlas.json'), JSON.stringify(info, null, 2) + '\n');
  return { dir, files };
}
