/** report room: figures (SVG + PNG) and the self-contained HTML report of a run directory. */
export { writeReport, type WriteReportResult, type ProvenanceEntry } from './writeReport.js';
export { renderPng } from './renderPng.js';
export { heatmapSvg, type HeatmapLabels } from './figures/heatmap.js';
export { geneformerParts, splitGeneformer, type GeneformerCell, type EmbeddingCell } from './geneformerSection.js';
export { distributionsSvg, type DistributionPanel } from './figures/distributions.js';
export { scatterSvg, type ScatterPanel } from './figures/scatterPlot.js';
export { elboCurvesSvg, type ElboSeries } from './figures/elboCurves.js';
export { divergingColor, niceTicks } from './svg.js';
export { readElboHistory } from './readRunFiles.js';
