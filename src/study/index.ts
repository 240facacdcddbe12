/** study room: study.yaml schema, source rules, corpus builder, stage graph, cache and runner. */
export { StudyConfig, Source, Component, Corpus, ModelSpec, Evaluation, ObsFilter, QcRule, GeneIds, GtexTfFilter, corpusComponents } from './schema.js';
export { parseStudyText, loadStudy, type ParsedStudy } from './parseStudy.js';
export { openCellSource, cellSourceFromAnnData, type CellSource } from './cellSource.js';
export { prepareSource, availableCells, type PreparedSource, type PrepareContext } from './prepareSource.js';
export { selectComponent, selectEvalCells, splitPart } from './selectComponent.js';
export { intersectGeneIds, columnMap } from './geneSet.js';
export { planStudy, hashInput, type StudyPlan, type PlannedSource, type PlanOptions } from './planStudy.js';
export { buildCorpus, buildEvalSet, type CorpusManifest } from './buildCorpus.js';
export { stageKey, canonicalJson, isStageDone, markStageDone, type StageRecord } from './stageCache.js';
export { stageGraph, STAGE_KINDS, type Stage, type StageKind, type Job, type StageGraph } from './stageGraph.js';
export { runStudy, prepareRun, selectStages, type RunOptions, type RunResult, type RunEvent, type StageImpls, type StageArgs, type StageProgress } from './runStudy.js';
export { defaultStages, modelConfig, modelConfigPath } from './defaultStages.js';
export { buildStudyCorpora, type BuildOptions } from './buildStudyCorpora.js';
export { geneformerStudyConfig, trainGeneformerStage, evaluateGeneformerStage, ldvaeEmbeddingMetrics, type GeneformerStudyConfig, type GeneformerEvalOptions, type GeneformerSummaryJson, type EmbeddingSummary } from './geneformerStages.js';
