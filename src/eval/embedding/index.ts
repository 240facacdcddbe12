/** eval/embedding room: cell-embedding metrics (scib style) and Geneformer rank prediction. */
export { nmi } from './nmi.js';
export { ari } from './ari.js';
export { contingency, encodeLabels, type Contingency } from './contingency.js';
export { silhouetteSamples, silhouetteScore, silhouetteBatch } from './silhouette.js';
export { knn, graphConnectivity, type KnnResult } from './knnGraph.js';
export { withScran, type ScranApi } from './scran.js';
export { embeddingMetrics, embeddingMetricsRows, EmbeddingMetricsConfig, type EmbeddingMetrics } from './embeddingMetrics.js';
export {
  rankPredictionEval,
  rankPredictionSummaryCsv,
  rankPredictionPerCellCsv,
  rankPredictionRankingsCsv,
  type RankingRow,
  pearson,
  describe,
  type ArgmaxPredictor,
  type RankEvalCells,
  type RankPredictionOptions,
  type RankPredictionResult,
  type Describe,
} from './rankPredictionEval.js';
export {
  embedTokenDataset,
  geneformerArgmaxPredictor,
  padCells,
  type EmbeddingModel,
  type PaddedBatch,
  type TokenCells,
} from './embedTokenDataset.js';
export { kde2d, rankKdeSvg } from './rankKde.js';
