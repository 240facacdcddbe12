import { readH5ad } from '../src/io/index.js';
import { loadGeneformerDictionaries, planGenes, rankEncode, resolveTokenizeConfig } from '../src/models/geneformer/index.js';
const ad = await readH5ad('/tmp/scmix-bench/pbmc3k_ensembl.h5ad', { layers: false, raw: false });
const v1 = loadGeneformerDictionaries('/work/shared/data/geneformer-v1');
const c = ad.var.columns.get('gene_ids')!;
const genes = c.kind === 'string' ? c.values : c.kind === 'categorical' ? Array.from(c.codes, (k) => c.categories[k]) : [];
const plan = planGenes(genes, v1, resolveTokenizeConfig({}), 'x');
for (let i = 0; i < 6; i++) { const t = performance.now(); rankEncode(ad.X, plan, { inputSize: 2048 }); const t1 = performance.now(); rankEncode(ad.X, plan, { inputSize: 2048 }); console.log((t1 - t).toFixed(0), (performance.now() - t1).toFixed(0)); }
