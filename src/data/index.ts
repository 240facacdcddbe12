/**
 * data room: pure functions over AnnData records (src/io/annData.ts): subsetting, concat, QC,
 * obs filters, gene harmonization and query alignment, scanpy-equivalent normalization and HVG,
 * seeded sampling/splits, count checks. `Rng` is the one seeded PRNG of scmix.
 */
export { Rng, deriveSeed, hashUniform, fmix32 } from './rng.js';
export { subsetRows, subsetCols, subsetCsrRows, subsetCsrCols, remapCsrColumns, whichTrue } from './subset.js';
export { concatAnnData, stackCsr } from './concatAnnData.js';
export type { ConcatOptions, ConcatResult } from './concatAnnData.js';
export { qcMetrics, applyQc, geneSymbols, mitoMask, qcOfCsr, QcConfig, QcMetricsOptions, SYMBOL_COLUMNS } from './qc.js';
export type { QcMetrics, QcResult } from './qc.js';
export { filterObs, ObsFilter } from './filterObs.js';
export type { FilterResult } from './filterObs.js';
export { stripEnsemblVersion, buildSymbolMap, mapSymbolsToEnsembl, intersectGenes } from './harmonizeGenes.js';
export type { MapSymbolsResult } from './harmonizeGenes.js';
export { alignToGenes } from './alignToGenes.js';
export type { AlignResult } from './alignToGenes.js';
export { normalizeTotal, log1pInPlace, cellTotalsF32 } from './normalize.js';
export type { NormalizeTotalOptions } from './normalize.js';
export { highlyVariableGenes } from './highlyVariableGenes.js';
export type { HvgOptions, HvgResult } from './highlyVariableGenes.js';
export { splitCells, sampleCells } from './splitCells.js';
export type { CellSplit } from './splitCells.js';
export { assertCounts, isCountMatrix } from './assertCounts.js';
export type { AssertCountsOptions } from './assertCounts.js';
export { gatherColumn, gatherFrame, toCategorical, cellText, cellNumber, columnType } from './frameOps.js';
export { describeCells, quantiles } from './describeCells.js';
export type { CellsSummary, DescribeOptions, Quantiles } from './describeCells.js';
