import { knn, withScran } from '../embedding/index.js';

/**
 * Neighbour search and UMAP through the embedding room's scran.js door (withScran initialises
 * the wasm once and stops its threads afterwards). Data are row-major [N, K].
 */

/** k nearest neighbours of every cell (itself excluded, exact search): indices [N, k'] row-major, k' = min(k, N-1). */
export async function nearestNeighbors(data: Float64Array, n: number, dims: number, k: number): Promise<{ k: number; indices: Int32Array }> {
  return withScran((s) => {
    const r = knn(s, data, n, dims, k, 1);
    return { k: r.k, indices: r.indices };
  }, { threads: 1 });
}

/** 2-D UMAP of [N, K] points (scran.js umappp, exact 15-NN graph; deterministic for the same input). */
export async function umap2d(data: Float64Array, n: number, dims: number, opts: { neighbors?: number; epochs?: number; minDist?: number } = {}): Promise<{ x: Float64Array; y: Float64Array }> {
  if (n < 3) return { x: new Float64Array(n), y: new Float64Array(n) };
  return withScran((s) => {
    const index = s.buildNeighborSearchIndex(data, { numberOfDims: dims, numberOfCells: n, approximate: false });
    try {
      const nn = s.findNearestNeighbors(index, Math.min(opts.neighbors ?? 15, n - 1), { numberOfThreads: 1 });
      try {
        const u = s.runUmap(nn, { epochs: opts.epochs ?? 500, minDist: opts.minDist ?? 0.1, numberOfThreads: 1 });
        return { x: Float64Array.from(u.x), y: Float64Array.from(u.y) };
      } finally {
        nn.free();
      }
    } finally {
      index.free();
    }
  }, { threads: 1 });
}
