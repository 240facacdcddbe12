/** eval/reconstruction: the study's LDVAE reconstruction metric, residuals, latent analyses and the grid. */
export { pearson, spearman, averageRanks } from './pearson.js';
export { summarizeValues, summarizeByGroup, quantileSorted, log2FoldChange, type ValueSummary } from './summarizeValues.js';
export { seedAgreement, type SeedAgreement } from './seedAgreement.js';
export { createHvgMoments, accumulateHvgMoments, selectHvgSeurat, cutEqualWidth, type HvgMoments, type HvgSelection } from './hvgSeurat.js';
export { alignGenes, alignCsr, logCp10k, type GeneAlignment } from './alignGenes.js';
export { evalSourceFromAnnData, evalSourceFromReader, sliceRows, columnStrings, type EvalSource, type RowBlockReader } from './evalSource.js';
export { toMatrix, type ReconstructionModel } from './reconstructionModel.js';
export { createResidualAccumulator, accumulateResiduals, perGeneResiduals, type GeneResiduals, type GeneResidualAccumulator } from './geneResiduals.js';
export {
  evaluateReconstruction,
  ReconstructionOptions,
  type ReconstructionResult,
  type ReconstructionSummary,
  type ReconstructionProgress,
} from './evaluateReconstruction.js';
export { knnLabelTransfer, type KnnTransferResult } from './knnLabelTransfer.js';
export { nearestNeighbors, umap2d } from './neighbors.js';
export { topLoadingGenes, jaccard, loadingOverlap, type FactorTopGenes } from './topLoadings.js';
export { runReconstructionEval, perCellCsv, type EvalMeta, type EvalSummaryJson } from './writeEvaluation.js';
export { readPerCell, splitCsvLine } from './readPerCell.js';
export { summarizeGrid, guessEvalGroup, guessCorpusGroup, type GridSummary, type GridCell } from './summarizeGrid.js';
export { fileSha256, dirSha256 } from './fileSha256.js';
export { evaluateModelOnFile } from './evalFromFiles.js';
