import { z } from 'zod';

/**
 * Options of the rank value encoding. V1 = Geneformer's original (2048 tokens, no special
 * tokens, duplicate gene ids give duplicate tokens); V2 = the 2024 layout (<cls> + ranked genes +
 * <eos>, 4096 tokens, counts of duplicate gene ids summed).
 */
export const TokenizeConfig = z
  .object({
    variant: z.enum(['v1', 'v2']).default('v1').describe('v1: 2048, no special tokens; v2: <cls>/<eos>, 4096'),
    inputSize: z.number().int().min(1).optional().describe('maximum tokens per cell (default 2048 for v1, 4096 for v2)'),
    collapseDuplicates: z
      .boolean()
      .optional()
      .describe('sum counts of var rows with the same gene id before ranking (default: false for v1, true for v2)'),
    geneColumn: z
      .string()
      .optional()
      .describe('var column holding gene ids (default: ensembl_id, gene_ids, feature_id, else the var index)'),
    geneIdType: z
      .enum(['ensembl', 'symbol'])
      .default('ensembl')
      .describe('symbol: map the gene column through gene_name_id_dict (exact, case-sensitive) first'),
    obsColumns: z.array(z.string()).default([]).describe('obs columns copied into the token dataset'),
    blockRows: z.number().int().positive().default(2048).describe('cells read per streamed block'),
    useFilterPass: z.boolean().default(true).describe('keep only cells with obs filter_pass == 1 when that column exists'),
    minGenes: z
      .number()
      .int()
      .min(0)
      .default(0)
      .describe('drop cells with fewer detected genes (all genes); sc_foundation_evals uses 10'),
    minCells: z
      .number()
      .int()
      .min(0)
      .default(0)
      .describe('ignore genes detected in fewer of the remaining cells; sc_foundation_evals uses 10'),
    minSymbolMatch: z
      .number()
      .min(0)
      .max(1)
      .default(0.5)
      .describe('symbol mode: refuse inputs where a smaller fraction of genes maps through gene_name_id_dict'),
  })
  .strict();
export type TokenizeConfig = z.infer<typeof TokenizeConfig>;

/** Config with the variant-dependent defaults filled in. */
export interface ResolvedTokenizeConfig extends TokenizeConfig {
  readonly inputSize: number;
  readonly collapseDuplicates: boolean;
}

/** Parse user options once (zod) and fill the variant-dependent defaults. */
export function resolveTokenizeConfig(input: Partial<TokenizeConfig> = {}): ResolvedTokenizeConfig {
  const c = TokenizeConfig.parse(input);
  return Object.freeze({
    ...c,
    inputSize: c.inputSize ?? (c.variant === 'v2' ? 4096 : 2048),
    collapseDuplicates: c.collapseDuplicates ?? c.variant === 'v2',
  });
}
