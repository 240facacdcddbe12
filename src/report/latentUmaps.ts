import { createHash } from 'node:crypto';
import { join } from 'node:path';
import { umap2d, type GridSummary } from '../eval/index.js';
import { readJson } from './readRunFiles.js';

export interface LatentUmap {
  corpus: string;
  x: number[];
  y: number[];
  evalSet: string[];
  cellType: string[];
  /** sha256 of the input latents; the cached UMAP is reused while it matches */
  inputSha256: string;
}

interface LatentSample {
  cells: string[];
  cellTypes: string[];
  k: number;
  latent: number[][];
}

/**
 * Fig. 1D "embedding uniqueness": for each corpus (one model kind, one seed), the latent samples
 * its model produced on every eval set (latent_sample.json, <= `perSet` cells each) are pooled and
 * embedded with UMAP, so each panel shows how that model's latent space separates the sources
 * and cell types. Results are cached in `cache` by a hash of the inputs, so re-running the report
 * as new results arrive only computes UMAPs for corpora whose inputs changed.
 */
export async function latentUmaps(grid: GridSummary, model: string, seed: number, cache: Map<string, LatentUmap>, perSet = 300): Promise<LatentUmap[]> {
  const out: LatentUmap[] = [];
  for (const corpus of grid.corpora) {
    const cells = grid.cells.filter((c) => c.model === model && c.seed === seed && c.corpus === corpus);
    const evalSet: string[] = [];
    const cellType: string[] = [];
    const rows: number[][] = [];
    let k = 0;
    for (const ev of grid.evalSets) {
      const c = cells.find((x) => x.evalSet === ev);
      if (!c) continue;
      const ls = readJson<LatentSample>(join(c.dir, 'latent_sample.json'));
      if (!ls || ls.latent.length === 0) continue;
      k = ls.k;
      const step = Math.max(1, ls.latent.length / perSet);
      for (let i = 0; i < ls.latent.length && rows.length < 1e6; i += step) {
        const j = Math.floor(i);
        rows.push(ls.latent[j]!);
        evalSet.push(ev);
        cellType.push(ls.cellTypes[j]!);
      }
    }
    if (rows.length < 5) continue;
    const data = Float64Array.from(rows.flat());
    const sha = createHash('sha256').update(Buffer.from(data.buffer)).update(evalSet.join('\n')).digest('hex');
    const hit = cache.get(corpus);
    if (hit && hit.inputSha256 === sha) {
      out.push(hit);
      continue;
    }
    const u = await umap2d(data, rows.length, k, { epochs: 300 });
    const res: LatentUmap = { corpus, x: Array.from(u.x), y: Array.from(u.y), evalSet, cellType, inputSha256: sha };
    cache.set(corpus, res);
    out.push(res);
  }
  return out;
}
