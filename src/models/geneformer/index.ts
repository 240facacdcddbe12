/** Geneformer: rank-value tokenizer, BERT masked-LM pretraining, embeddings. */
export * from './tokenizer/index.js';
export * from './bert/index.js';
