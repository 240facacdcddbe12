import type { Command } from 'commander';
import { resolve } from 'node:path';
import { ScmixError } from '../../errors.js';
import { isCountMatrix } from '../../data/index.js';
import { readAnyCells, joinObsCsv, writeH5ad, detectCellsFormat, CELLS_FORMATS } from '../../io/index.js';
import { createProgress, type Progress } from '../progress.js';
import { parseFormat } from './inspect.js';

interface ConvertFlags {
  format?: string;
  obsCsv?: string;
  obsKey?: string;
  requireAllObs?: boolean;
  compression?: string;
  json?: boolean;
  quiet?: boolean;
}

export interface ConvertReport {
  readonly input: string;
  readonly output: string;
  readonly format: string;
  readonly nObs: number;
  readonly nVars: number;
  readonly nnz: number;
  readonly integerCounts: boolean;
  readonly obsJoin?: { readonly csv: string; readonly matched: number; readonly unmatchedCells: number; readonly unusedRows: number; readonly replacedColumns: string[] };
}

/** `scmix convert IN OUT.h5ad`: read any supported input, optionally join obs metadata, write h5ad atomically. */
export async function convertCommand(input: string, output: string, flags: ConvertFlags): Promise<ConvertReport> {
  if (!output.endsWith('.h5ad')) throw new ScmixError('CONFIG_INVALID', `output must be an .h5ad file, got "${output}"`);
  if (resolve(input) === resolve(output)) throw new ScmixError('CONFIG_INVALID', `output ${output} is the input file; choose another name`);
  const compression = flags.compression ?? 'none';
  if (compression !== 'none' && compression !== 'gzip') throw new ScmixError('CONFIG_INVALID', `--compression must be none or gzip, got "${compression}"`);
  if (flags.obsKey !== undefined && flags.obsCsv === undefined) throw new ScmixError('CONFIG_INVALID', '--obs-key needs --obs-csv');
  const format = parseFormat(flags.format) ?? detectCellsFormat(input);
  let bar: Progress | undefined;
  let adata = await readAnyCells(input, {
    format,
    onProgress: flags.quiet || flags.json ? undefined : (d, t) => {
      bar ??= createProgress({ label: `read ${format}`, total: t / 1e6, unit: 'MB' });
      bar.update(d / 1e6);
    },
  });
  bar?.finish();
  let obsJoin: ConvertReport['obsJoin'];
  if (flags.obsCsv !== undefined) {
    const j = joinObsCsv(adata, flags.obsCsv, { key: flags.obsKey, requireAll: flags.requireAllObs });
    adata = j.adata;
    obsJoin = { csv: flags.obsCsv, matched: j.matched, unmatchedCells: j.unmatchedCells, unusedRows: j.unusedRows, replacedColumns: j.replacedColumns };
  }
  // scmix-only bookkeeping is not written into the h5ad.
  const { scmix_source: _drop, ...uns } = adata.uns;
  void _drop;
  await writeH5ad(output, { ...adata, uns }, { compression: compression as 'none' | 'gzip' });
  const report: ConvertReport = {
    input,
    output,
    format,
    nObs: adata.X.nRows,
    nVars: adata.X.nCols,
    nnz: adata.X.indptr[adata.X.nRows],
    integerCounts: isCountMatrix(adata.X),
    ...(obsJoin ? { obsJoin } : {}),
  };
  if (flags.json) process.stdout.write(JSON.stringify(report) + '\n');
  else if (!flags.quiet) {
    process.stderr.write(`wrote ${output}: ${report.nObs} cells x ${report.nVars} genes, ${report.nnz} nonzeros (${format}${report.integerCounts ? ', integer counts' : ', NOT integer counts'})\n`);
    if (obsJoin) process.stderr.write(`obs metadata from ${obsJoin.csv}: ${obsJoin.matched} of ${report.nObs} cells matched, ${obsJoin.unusedRows} table rows unused${obsJoin.replacedColumns.length ? `, replaced columns ${obsJoin.replacedColumns.join(', ')}` : ''}\n`);
  }
  return report;
}

export function register(program: Command): void {
  program
    .command('convert')
    .description('convert 10x MEX / 10x HDF5 / 3CA / h5ad to h5ad (written atomically)')
    .argument('<input>', 'input file or folder')
    .argument('<output>', 'output .h5ad')
    .option('--format <format>', `skip detection: ${CELLS_FORMATS.join(' | ')}`)
    .option('--obs-csv <file>', 'CSV/TSV of cell metadata to join onto obs by barcode')
    .option('--obs-key <column>', 'barcode column of --obs-csv (default: its first column)')
    .option('--require-all-obs', 'fail unless every cell has a row in --obs-csv')
    .option('--compression <kind>', 'none (default) or gzip')
    .option('--json', 'print the result as one JSON line')
    .option('--quiet', 'no progress output')
    .action(async (input: string, output: string, flags: ConvertFlags) => {
      await convertCommand(input, output, flags);
    });
}
