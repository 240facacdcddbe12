import type { Command } from 'commander';
import { ScmixError } from '../../errors.js';
import { loadGeneformerDictionaries, tokenizeH5ad, type TokenizeProgress } from '../../models/geneformer/index.js';
import { intFlag } from '../flags.js';
import { createProgress, type Progress } from '../progress.js';

interface Flags {
  out: string;
  dictionaries?: string;
  computeDictionaries?: boolean;
  inputSize?: string;
  variant: string;
  geneColumn?: string;
  geneIdType: string;
  obsColumns?: string;
  layer?: string;
  collapseDuplicates?: boolean;
  blockRows: string;
  minGenes: string;
  minCells: string;
  overwrite?: boolean;
  json?: boolean;
}

export function register(program: Command): void {
  program
    .command('tokenize')
    .description('rank-value encode the cells of an h5ad (raw counts) into a Geneformer token dataset')
    .argument('<in.h5ad>', 'input h5ad with raw integer counts in X (or --layer)')
    .requiredOption('--out <dir>', 'token dataset folder to create (tokens.bin, obs.json, manifest.json)')
    .option('--dictionaries <dir>', 'folder with token_dictionary + gene_median_dictionary (.pkl or .json), e.g. Geneformer V1')
    .option('--compute-dictionaries', 'derive new dictionaries from this input (exact non-zero CP10k medians); written to OUT/dictionaries/')
    .option('--input-size <n>', 'maximum tokens per cell (default 2048 for v1, 4096 for v2)')
    .option('--variant <v>', 'v1 (no special tokens) | v2 (<cls>/<eos>, duplicate ids summed)', 'v1')
    .option('--gene-column <name>', 'var column with gene ids (default: ensembl_id, gene_ids, feature_id, else the var index)')
    .option('--gene-id-type <t>', 'ensembl | symbol (symbols are mapped through gene_name_id_dict)', 'ensembl')
    .option('--obs-columns <list>', 'comma-separated obs columns to keep, e.g. cell_type,batch')
    .option('--layer <name>', 'read counts from this layer instead of X')
    .option('--collapse-duplicates', 'sum counts of var rows with the same gene id (default for v2)')
    .option('--block-rows <n>', 'cells per streamed block', '2048')
    .option('--min-genes <n>', 'drop cells with fewer detected genes (sc_foundation_evals: 10)', '0')
    .option('--min-cells <n>', 'ignore genes detected in fewer of the kept cells (sc_foundation_evals: 10)', '0')
    .option('--overwrite', 'replace an existing --out folder')
    .option('--json', 'print the summary as one JSON line on stdout')
    .action(async (input: string, f: Flags) => {
      if (!f.dictionaries && !f.computeDictionaries) {
        throw new ScmixError('CONFIG_INVALID', 'pass --dictionaries DIR (e.g. Geneformer V1) or --compute-dictionaries', {
          hint: 'the V1 dictionaries as JSON are in ../shared/data/geneformer-v1; models trained on V1 tokens need V1 tokens',
        });
      }
      if (f.dictionaries && f.computeDictionaries) throw new ScmixError('CONFIG_INVALID', '--dictionaries and --compute-dictionaries exclude each other');
      if (f.variant !== 'v1' && f.variant !== 'v2') throw new ScmixError('CONFIG_INVALID', `--variant must be v1 or v2, got '${f.variant}'`);
      if (f.geneIdType !== 'ensembl' && f.geneIdType !== 'symbol') throw new ScmixError('CONFIG_INVALID', `--gene-id-type must be ensembl or symbol, got '${f.geneIdType}'`);
      const dictionaries = f.dictionaries ? loadGeneformerDictionaries(f.dictionaries) : 'compute';
      const bars: Partial<Record<TokenizeProgress['phase'], Progress>> = {};
      const t0 = performance.now();
      const rep = await tokenizeH5ad(input, f.out, {
        dictionaries,
        layer: f.layer,
        overwrite: f.overwrite,
        config: {
          variant: f.variant,
          inputSize: intFlag('input-size', f.inputSize, 1),
          geneColumn: f.geneColumn,
          geneIdType: f.geneIdType,
          obsColumns: f.obsColumns ? f.obsColumns.split(',').map((s) => s.trim()).filter(Boolean) : [],
          collapseDuplicates: f.collapseDuplicates ? true : undefined,
          blockRows: intFlag('block-rows', f.blockRows, 1),
          minGenes: intFlag('min-genes', f.minGenes, 0),
          minCells: intFlag('min-cells', f.minCells, 0),
        },
        onProgress: (p) => {
          const bar = (bars[p.phase] ??= createProgress({ label: p.phase, total: p.total, unit: 'cells', quiet: f.json }));
          if (p.done === 0) return; // the first event only starts the clock
          bar.update(p.done);
          if (p.done >= p.total) bar.finish();
        },
      });
      const secs = (performance.now() - t0) / 1000;
      const summary = {
        event: 'done',
        out: f.out,
        cells: rep.nCellsIn,
        kept: rep.kept,
        dropped: rep.dropped,
        droppedFirst: rep.droppedFirst,
        filteredOut: rep.filteredOut,
        removedByMinGenes: rep.removedByMinGenes,
        tokens: rep.nTokens,
        genes: rep.genes,
        seconds: secs,
        cellsPerSec: rep.nCellsIn / secs,
      };
      if (f.json) {
        process.stdout.write(JSON.stringify(summary) + '\n');
        return;
      }
      const g = rep.genes;
      process.stderr.write(
        `${rep.kept} cells tokenized into ${f.out} (${rep.nTokens} tokens, mean length ${(rep.nTokens / rep.kept).toFixed(1)}); ` +
          `genes: ${g.inVocabulary}/${g.nGenes} of '${g.geneColumn}' in the vocabulary` +
          (g.unmappedSymbols ? `, ${g.unmappedSymbols} symbols unmapped` : '') +
          (g.duplicateColumns ? `, ${g.duplicateColumns} duplicate ids (${g.firstDuplicates.slice(0, 3).join(', ')}...)` : '') +
          '\n',
      );
      if (rep.filteredOut) process.stderr.write(`${rep.filteredOut} cells removed by obs filter_pass != 1\n`);
      if (rep.removedByMinGenes) process.stderr.write(`${rep.removedByMinGenes} cells removed by --min-genes ${f.minGenes}\n`);
      if (g.removedByMinCells) process.stderr.write(`${g.removedByMinCells} genes ignored by --min-cells ${f.minCells}\n`);
      if (rep.dropped) process.stderr.write(`${rep.dropped} cells dropped: no detected gene in the vocabulary (first: ${rep.droppedFirst.join(', ')})\n`);
    });
}
