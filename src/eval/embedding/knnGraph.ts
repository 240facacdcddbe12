import type { ScranApi } from './scran.js';

/** k nearest neighbours of every cell (self excluded), as CSR-like arrays. */
export interface KnnResult {
  readonly k: number;
  /** [N * k] neighbour indices, row i at i*k .. i*k+k-1, nearest first */
  readonly indices: Int32Array;
  /** [N * k] Euclidean distances */
  readonly distances: Float64Array;
}

/**
 * Exact kNN by scran.js (approximate = false, so the result is deterministic).
 * @param x [N, D] row-major embedding; this is scran's column-major D x N layout
 */
export function knn(scran: ScranApi, x: Float64Array, n: number, d: number, k: number, threads = 2): KnnResult {
  const kk = Math.min(k, n - 1);
  const index = scran.buildNeighborSearchIndex(x, { numberOfDims: d, numberOfCells: n, approximate: false });
  try {
    const res = scran.findNearestNeighbors(index, kk, { numberOfThreads: threads });
    try {
      const s = res.serialize();
      return { k: kk, indices: Int32Array.from(s.indices), distances: Float64Array.from(s.distances) };
    } finally {
      res.free();
    }
  } finally {
    index.free();
  }
}

/**
 * scib graph connectivity on the (union-symmetrised) kNN graph: for each label, the largest
 * connected component of the subgraph of its cells, as a fraction of them; mean over labels.
 */
export function graphConnectivity<T>(g: KnnResult, labels: ArrayLike<T>): number {
  const n = labels.length;
  const parent = new Int32Array(n);
  for (let i = 0; i < n; i++) parent[i] = i;
  const find = (i: number): number => {
    while (parent[i] !== i) {
      parent[i] = parent[parent[i]];
      i = parent[i];
    }
    return i;
  };
  // an edge joins two cells only when both carry the same label: the label's induced subgraph
  for (let i = 0; i < n; i++) {
    for (let t = 0; t < g.k; t++) {
      const j = g.indices[i * g.k + t];
      if (labels[i] !== labels[j]) continue;
      const a = find(i);
      const b = find(j);
      if (a !== b) parent[a] = b;
    }
  }
  const labelSize = new Map<T, number>();
  const compSize = new Map<number, number>();
  for (let i = 0; i < n; i++) {
    labelSize.set(labels[i], (labelSize.get(labels[i]) ?? 0) + 1);
    const r = find(i);
    compSize.set(r, (compSize.get(r) ?? 0) + 1);
  }
  const largest = new Map<T, number>();
  for (let i = 0; i < n; i++) {
    const c = compSize.get(find(i)) as number;
    if (c > (largest.get(labels[i]) ?? 0)) largest.set(labels[i], c);
  }
  let s = 0;
  for (const [lab, size] of labelSize) s += (largest.get(lab) as number) / size;
  return s / labelSize.size;
}
