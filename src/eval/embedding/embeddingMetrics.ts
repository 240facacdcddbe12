/**
 * Cell-embedding metrics of `sc_foundation_evals` CellEmbeddingsEval (scib): clustering over
 * resolutions keeping the best NMI, NMI, ARI, label ASW, graph connectivity, batch ASW (two
 * flavours) and avg_bio. Works on any embedding: Geneformer cell embeddings or LDVAE latents.
 *
 * Deviations from the Python stack (spec §8.5), all documented in docs/notes/tokenizer.md:
 * exact kNN (k = nNeighbors − 1 others, as scanpy counts the cell itself) instead of UMAP
 * connectivities/pynndescent; clustering = scran multilevel (Louvain) on the rank-weighted SNN
 * graph of that kNN instead of vtraag-louvain on the connectivities.
 */
import { z } from 'zod';
import { Rng } from '../../data/index.js';
import { ScmixError } from '../../errors.js';
import { ari } from './ari.js';
import { graphConnectivity, type KnnResult } from './knnGraph.js';
import { nmi } from './nmi.js';
import { withScran } from './scran.js';
import { silhouetteBatch, silhouetteScore } from './silhouette.js';

export const EmbeddingMetricsConfig = z
  .object({
    nNeighbors: z.number().int().min(2).default(15).describe('neighbourhood size as scanpy counts it (the cell itself included)'),
    resolutions: z
      .array(z.number().positive())
      .default(Array.from({ length: 20 }, (_, i) => Math.round((2 * (i + 1)) / 20 * 10) / 10))
      .describe('clustering resolutions tried (0.1, 0.2, ..., 2.0); the best NMI wins, ties keep the lower'),
    maxCells: z.number().int().positive().default(7500).describe('subsample to this many cells (seeded) when larger'),
    seed: z.number().int().default(0).describe('seed of the subsample'),
    threads: z.number().int().positive().default(2).describe('scran.js threads'),
  })
  .strict();
export type EmbeddingMetricsConfig = z.infer<typeof EmbeddingMetricsConfig>;

/** Metric values; names follow scib/sc_foundation_evals in `toRows`. */
export interface EmbeddingMetrics {
  nCells: number;
  nLabels: number;
  nBatches: number;
  /** NMI_cluster/label */
  nmi: number;
  /** ARI_cluster/label */
  ari: number;
  /** ASW_label = (silhouette(emb, label) + 1) / 2 */
  aswLabel: number;
  /** graph_conn */
  graphConnectivity: number;
  /** ASW_batch = (silhouette(emb, batch) + 1) / 2 (high = batches separated); null with < 2 batches */
  aswBatch: number | null;
  /** ASW_label/batch: scib silhouette_batch (high = batches mixed); null with < 2 batches */
  aswLabelBatch: number | null;
  /** avg_bio = mean(NMI, ARI, ASW_label) */
  avgBio: number;
  /** resolution of the kept clustering and its cluster count */
  resolution: number;
  nClusters: number;
}

type Label = string | number | boolean | null | undefined;

/**
 * Compute the metrics of one embedding against cell labels (and batches).
 * @param emb [N, D] row-major (`{ data, shape }`, e.g. an obsm Dense)
 * @param labels [N] cell labels; cells with a null/undefined label are left out
 * @param batches [N] batch of each cell, optional
 * @throws SHAPE_MISMATCH when lengths disagree; NOT_ENOUGH_CELLS with < 3 labelled cells or < 2 labels
 */
export async function embeddingMetrics(
  emb: { readonly data: ArrayLike<number>; readonly shape: readonly [number, number] | readonly number[] },
  labels: ArrayLike<Label>,
  batches?: ArrayLike<Label>,
  config: Partial<EmbeddingMetricsConfig> = {},
): Promise<EmbeddingMetrics> {
  const cfg = EmbeddingMetricsConfig.parse(config);
  const [N, D] = emb.shape;
  if (emb.data.length !== N * D) throw new ScmixError('SHAPE_MISMATCH', `embedding of shape [${N}, ${D}] holds ${emb.data.length} values`);
  if (labels.length !== N) throw new ScmixError('SHAPE_MISMATCH', `embedding has ${N} cells, labels ${labels.length}`);
  if (batches && batches.length !== N) throw new ScmixError('SHAPE_MISMATCH', `embedding has ${N} cells, batches ${batches.length}`);
  let rows: number[] = [];
  for (let i = 0; i < N; i++) if (labels[i] !== null && labels[i] !== undefined) rows.push(i);
  if (rows.length > cfg.maxCells) {
    const pick = new Rng(cfg.seed).sampleWithoutReplacement(rows.length, cfg.maxCells);
    rows = Array.from(pick, (p) => rows[p]);
  }
  const n = rows.length;
  const x = new Float64Array(n * D);
  rows.forEach((r, i) => {
    for (let t = 0; t < D; t++) x[i * D + t] = emb.data[r * D + t];
  });
  for (let i = 0; i < x.length; i++) if (!Number.isFinite(x[i])) throw new ScmixError('INPUT_VALUE', `embedding value of cell ${rows[Math.floor(i / D)]} is ${x[i]}`);
  const lab = rows.map((r) => String(labels[r]));
  const bat = batches ? rows.map((r) => String(batches[r])) : undefined;
  const nLabels = new Set(lab).size;
  const nBatches = bat ? new Set(bat).size : 1;
  if (n < 3 || nLabels < 2 || nLabels > n - 1) {
    throw new ScmixError('NOT_ENOUGH_CELLS', `embedding metrics need >= 3 labelled cells and 2..n-1 labels; got ${n} cells, ${nLabels} labels`);
  }

  return withScran(async (scran) => {
    // one exact kNN: its list gives graph connectivity, its SNN graph the clusterings
    const k = Math.min(cfg.nNeighbors - 1, n - 1);
    const idx = scran.buildNeighborSearchIndex(x, { numberOfDims: D, numberOfCells: n, approximate: false });
    let g: KnnResult;
    let best = { nmi: -Infinity, resolution: cfg.resolutions[0], clusters: new Int32Array(n) };
    try {
      const nn = scran.findNearestNeighbors(idx, k, { numberOfThreads: cfg.threads });
      try {
        const s = nn.serialize();
        g = { k, indices: Int32Array.from(s.indices), distances: Float64Array.from(s.distances) };
        const graph = scran.buildSnnGraph(nn, { scheme: 'rank', neighbors: k, numberOfThreads: cfg.threads });
        try {
          for (const r of cfg.resolutions) {
            const c = scran.clusterGraph(graph, { method: 'multilevel', multiLevelResolution: r });
            const m = c.membership();
            c.free();
            const score = nmi(lab, m);
            if (score > best.nmi) best = { nmi: score, resolution: r, clusters: Int32Array.from(m) };
          }
        } finally {
          graph.free();
        }
      } finally {
        nn.free();
      }
    } finally {
      idx.free();
    }
    const aswLabel = (silhouetteScore(x, n, D, lab) + 1) / 2;
    const a = ari(best.clusters, lab);
    const batchOk = bat !== undefined && nBatches > 1 && nBatches < n;
    return {
      nCells: n,
      nLabels,
      nBatches,
      nmi: best.nmi,
      ari: a,
      aswLabel,
      graphConnectivity: graphConnectivity(g, lab),
      aswBatch: batchOk ? (silhouetteScore(x, n, D, bat) + 1) / 2 : null,
      aswLabelBatch: batchOk ? nanToNull(silhouetteBatch(x, n, D, lab, bat)) : null,
      avgBio: (best.nmi + a + aswLabel) / 3,
      resolution: best.resolution,
      nClusters: new Set(best.clusters).size,
    };
  }, { threads: cfg.threads });
}

function nanToNull(v: number): number | null {
  return Number.isNaN(v) ? null : v;
}

/** Rows `metric,label,value` as sc_foundation_evals writes `<key>__metrics.csv` (nulls left out). */
export function embeddingMetricsRows(m: EmbeddingMetrics, label: string): { metric: string; label: string; value: number }[] {
  const rows: [string, number | null][] = [
    ['NMI_cluster/label', m.nmi],
    ['ARI_cluster/label', m.ari],
    ['ASW_label', m.aswLabel],
    ['graph_conn', m.graphConnectivity],
    ['ASW_batch', m.aswBatch],
    ['ASW_label/batch', m.aswLabelBatch],
    ['avg_bio', m.avgBio],
  ];
  return rows.filter((r): r is [string, number] => r[1] !== null && Number.isFinite(r[1])).map(([metric, value]) => ({ metric, label, value }));
}
