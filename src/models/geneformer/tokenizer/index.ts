/** Geneformer tokenizer room: dictionaries, rank value encoding, token datasets. */
export { readPickleDict, type PickleDictValue } from './readPickleDict.js';
export {
  loadGeneformerDictionaries,
  readDictFile,
  buildDictionaries,
  SPECIAL_TOKENS,
  type GeneformerDictionaries,
  type FileRef,
} from './dictionaries.js';
export {
  computeDictionaries,
  createMedianAccumulator,
  dictionariesFromMedians,
  dictionaryJsonFiles,
  tokenDictionaryFor,
  type MedianAccumulator,
} from './computeDictionaries.js';
export { writeDictionaries } from './writeDictionaries.js';
export { TokenizeConfig, resolveTokenizeConfig, type ResolvedTokenizeConfig } from './tokenizeConfig.js';
export { planGenes, type GenePlan, type GenePlanStats } from './planGenes.js';
export { rankEncode, type EncodedBlock, type RankEncodeOptions } from './rankEncode.js';
export {
  tokenizeCells,
  annDataSource,
  cellValue,
  type CellBlockSource,
  type TokenizeOptions,
  type TokenizeProgress,
  type TokenizeReport,
} from './tokenizeCells.js';
export { tokenizeH5ad } from './tokenizeH5ad.js';
export {
  createTokenDatasetWriter,
  writeTokenDataset,
  openTokenDataset,
  TOKENS_MAGIC,
  TOKENS_VERSION,
  type TokenDataset,
  type TokenDatasetWriter,
  type TokenObs,
} from './tokenDataset.js';
