import { nearestNeighbors } from './neighbors.js';

export interface KnnTransferResult {
  k: number;
  /** cells that had a label and took part */
  n: number;
  accuracy: number;
  /** per true label: n and fraction predicted correctly */
  perLabel: Record<string, { n: number; accuracy: number }>;
}

/**
 * kNN label transfer on a latent space (Fig. 1D "embedding uniqueness"): each cell whose
 * `isQuery` flag is set gets the majority label of its k nearest reference cells (ties -> the
 * label of the nearest tied neighbour). Without `isQuery`, every cell is predicted from all others
 * (leave-one-out). Cells labelled 'unknown' are neither predicted nor used as reference.
 * Neighbour search: exact, scran.js through the embedding room's knn.
 */
export async function knnLabelTransfer(
  emb: Float64Array, // [N, K]
  nDims: number,
  labels: readonly string[],
  opts: { k?: number; isQuery?: Uint8Array } = {},
): Promise<KnnTransferResult> {
  const k = opts.k ?? 15;
  const n = labels.length;
  // search wider when references are diluted by query cells
  const wide = opts.isQuery ? Math.min(n - 1, k * 4) : k;
  const { k: kk, indices: nn } = await nearestNeighbors(emb, n, nDims, wide);
  const isRef = (j: number) => labels[j] !== 'unknown' && !(opts.isQuery && opts.isQuery[j] === 1);
  let ok = 0;
  let tot = 0;
  const per = new Map<string, { n: number; ok: number }>();
  for (let i = 0; i < n; i++) {
    if (labels[i] === 'unknown') continue;
    if (opts.isQuery && opts.isQuery[i] !== 1) continue;
    const votes = new Map<string, number>();
    let first = new Map<string, number>();
    let used = 0;
    for (let j = 0; j < kk && used < k; j++) {
      const nb = nn[i * kk + j]!;
      if (nb < 0 || !isRef(nb)) continue;
      const l = labels[nb]!;
      votes.set(l, (votes.get(l) ?? 0) + 1);
      if (!first.has(l)) first.set(l, used);
      used++;
    }
    if (used === 0) continue;
    let best = '';
    let bestV = -1;
    for (const [l, v] of votes) {
      if (v > bestV || (v === bestV && first.get(l)! < first.get(best)!)) {
        best = l;
        bestV = v;
      }
    }
    first = new Map();
    const t = labels[i]!;
    const e = per.get(t) ?? { n: 0, ok: 0 };
    e.n++;
    tot++;
    if (best === t) {
      e.ok++;
      ok++;
    }
    per.set(t, e);
  }
  const perLabel: KnnTransferResult['perLabel'] = {};
  for (const [l, e] of [...per].sort()) perLabel[l] = { n: e.n, accuracy: e.ok / e.n };
  return { k, n: tot, accuracy: tot ? ok / tot : NaN, perLabel };
}
