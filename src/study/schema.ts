/**
 * The study.yaml schema: sources -> components -> corpora, models, evaluations, seeds, outputs.
 * Zod schemas are the types; every object is .strict() so a misspelt key is an error that names
 * the line (see parseStudy.ts). Paths are relative to the study file's folder.
 */
import { z } from 'zod';

const Name = z
  .string()
  .regex(/^[A-Za-z0-9_.+-]+$/, 'names may use letters, digits and _ - . +')
  .describe('an identifier used in file and folder names');

const Scalar = z.union([z.string(), z.number(), z.boolean()]);

/** One obs filter: exactly one of equals / in / notIn / notEquals on one column. */
export const ObsFilter = z
  .object({
    column: z.string().min(1).describe('obs column the filter reads'),
    equals: Scalar.optional().describe('keep cells whose value equals this'),
    notEquals: Scalar.optional().describe('keep cells whose value differs from this'),
    in: z.array(Scalar).min(1).optional().describe('keep cells whose value is one of these'),
    notIn: z.array(Scalar).min(1).optional().describe('drop cells whose value is one of these'),
    notInSource: z
      .object({ source: z.string().describe('another source'), column: z.string().default('index').describe('its obs column (or "index")') })
      .strict()
      .optional()
      .describe('drop cells whose value appears in that column of another source (overlap removal)'),
  })
  .strict()
  .refine((f) => [f.equals, f.notEquals, f.in, f.notIn, f.notInSource].filter((v) => v !== undefined).length === 1, {
    message: 'a filter needs exactly one of: equals, notEquals, in, notIn, notInSource',
  })
  .describe('obs filter');
export type ObsFilter = z.infer<typeof ObsFilter>;

/**
 * The study's transcription-factor rule for the Joung atlas: keep cells whose perturbed TF has a
 * GTEx tissue z-score above a threshold (z over tissues of the gene's median TPM).
 */
export const GtexTfFilter = z
  .object({
    gct: z.string().min(1).describe('GTEx median TPM .gct file (relative to the study file)'),
    tissue: z.string().default('Whole Blood').describe('GTEx tissue column'),
    minZ: z.number().default(-0.25).describe('keep TFs with z > minZ'),
    column: z.string().default('TF').describe('obs column naming the perturbation'),
    separator: z.string().default('-').describe('the TF symbol is part `part` of column.split(separator)'),
    part: z.number().int().nonnegative().default(1),
  })
  .strict();
export type GtexTfFilter = z.infer<typeof GtexTfFilter>;

/** Cell QC: keep total > minCounts and mito fraction < maxMitoFraction (the study's one rule). */
export const QcRule = z
  .object({
    minCounts: z.number().nonnegative().default(1000).describe('keep cells with total UMI > minCounts'),
    maxMitoFraction: z.number().min(0).max(1).default(0.1).describe('keep cells with mito fraction < this'),
    mitoPrefix: z.string().default('MT-').describe('symbol prefix of mitochondrial genes'),
    totalCountsColumn: z.string().optional().describe('use this author obs column for total UMI instead of X'),
    mitoFractionColumn: z.string().optional().describe('use this author obs column (fraction 0..1) instead of X'),
  })
  .strict();
export type QcRule = z.infer<typeof QcRule>;

/** How a source names its genes; the corpus is built on Ensembl-like ids. */
export const GeneIds = z
  .object({
    ids: z.string().optional().describe('var column with Ensembl ids, or "index"'),
    symbols: z.string().optional().describe('var column with gene symbols, or "index" (used for the MT- mask)'),
    mapSymbolsFrom: z.string().optional().describe('map symbols to ids with this source\'s var (last duplicate wins)'),
    mapFile: z.string().optional().describe('two-column TSV symbol<TAB>id used to map symbols to ids'),
    stripVersion: z.boolean().default(true).describe('drop ".N" version suffixes of Ensembl ids'),
  })
  .strict()
  .refine((g) => g.ids !== undefined || (g.symbols !== undefined && (g.mapSymbolsFrom !== undefined || g.mapFile !== undefined)), {
    message: 'genes needs `ids`, or `symbols` plus one of `mapSymbolsFrom` / `mapFile`',
  });
export type GeneIds = z.infer<typeof GeneIds>;

export const SourceFormat = z.enum(['auto', 'h5ad', '10x-h5', 'mex', '3ca']);

export const Source = z
  .object({
    path: z.string().min(1).describe('file or folder, relative to the study file'),
    format: SourceFormat.default('auto').describe('input format'),
    obsCsv: z.string().optional().describe('CSV of cell metadata joined on its first column (barcodes); MEX / 3CA / 10x h5 only'),
    genes: GeneIds.default({ ids: 'index', stripVersion: true }).describe('gene id rules'),
    filters: z.array(ObsFilter).default([]).describe('obs filters, applied before QC'),
    tfFilter: GtexTfFilter.optional().describe('GTEx TF z-score rule (Joung TF atlas)'),
    qc: z.union([QcRule, z.literal('none')]).default({ minCounts: 1000, maxMitoFraction: 0.1, mitoPrefix: 'MT-' }).describe('cell QC'),
    maxCells: z.number().int().positive().optional().describe('cap on cells kept after QC (seeded sample)'),
    cellType: z.string().optional().describe('obs column copied to `cell_type` in corpora and eval sets'),
  })
  .strict();
export type Source = z.infer<typeof Source>;

export const Component = z
  .object({
    source: Name.describe('a key of `sources`'),
    size: z.union([z.number().int().positive(), z.literal('all')]).default('all').describe('cells to sample (or all)'),
    split: z
      .object({
        parts: z.number().int().min(2).describe('number of disjoint parts the QC-passing cells are cut into'),
        part: z.number().int().nonnegative().describe('which part (0-based) this component samples from'),
      })
      .strict()
      .optional()
      .describe('disjoint halves (or thirds, ...) for "base + more of the same"'),
    label: z.string().optional().describe('obs `dataset` label (defaults to the component name)'),
  })
  .strict()
  .refine((c) => c.split === undefined || c.split.part < c.split.parts, { message: 'split.part must be < split.parts', path: ['split', 'part'] });
export type Component = z.infer<typeof Component>;

export const Corpus = z.union([
  z.array(Name).min(1),
  z
    .object({
      components: z.array(Name).min(1).describe('component names'),
      description: z.string().optional(),
    })
    .strict(),
]);
export type Corpus = z.infer<typeof Corpus>;

export const ModelKind = z.enum(['ldvae', 'geneformer']);
export const ModelSpec = z
  .object({
    kind: ModelKind.describe('model family'),
    config: z.string().optional().describe('JSON preset file (relative to the study file, or configs/<name>.json)'),
    set: z.record(z.string(), z.unknown()).default({}).describe('config overrides'),
    dictionaries: z
      .string()
      .optional()
      .describe('geneformer: folder with token_dictionary + gene_median_dictionary (.pkl or .json, e.g. the V1 ones); default: computed from each corpus'),
  })
  .strict();
export type ModelSpec = z.infer<typeof ModelSpec>;

export const MetricName = z.enum(['reconstruction', 'rank-prediction', 'embedding']);
export const Evaluation = z
  .object({
    source: Name.describe('a key of `sources` (QC and filters apply as for training)'),
    size: z.union([z.number().int().positive(), z.literal('all')]).default('all').describe('cells to sample'),
    metrics: z.array(MetricName).min(1).default(['reconstruction']).describe('metrics to compute'),
    rankCells: z.number().int().positive().optional().describe('rank-prediction: cells sampled (seeded; default 500, all when fewer)'),
  })
  .strict();
export type Evaluation = z.infer<typeof Evaluation>;

export const Outputs = z
  .object({
    dir: z.string().default('scmix-out').describe('run directory, relative to the study file'),
    report: z.boolean().default(true).describe('write report/report.html'),
  })
  .strict();

export const StudyConfig = z
  .object({
    name: Name.describe('study name'),
    description: z.string().optional(),
    sources: z.record(Name, Source).describe('named inputs'),
    components: z.record(Name, Component).describe('named samples of sources'),
    corpora: z.record(Name, Corpus).describe('training corpora: lists of components'),
    genes: z
      .enum(['corpus', 'study'])
      .default('study')
      .describe('gene set: intersection over the corpus\'s components, or over every component of the study (as the paper did)'),
    models: z.record(Name, ModelSpec).default({ ldvae: { kind: 'ldvae', set: {} } }).describe('models trained on every corpus'),
    evaluations: z.record(Name, Evaluation).default({}).describe('evaluation sets x metrics'),
    seeds: z.array(z.number().int().nonnegative()).min(1).default([0]).describe('seeds (sampling + training)'),
    outputs: Outputs.default({ dir: 'scmix-out', report: true }),
  })
  .strict();
export type StudyConfig = z.infer<typeof StudyConfig>;

/** Component names of a corpus, whichever YAML shape was used. */
export function corpusComponents(c: Corpus): string[] {
  return Array.isArray(c) ? c : c.components;
}
