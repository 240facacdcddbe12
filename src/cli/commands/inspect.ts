import type { Command } from 'commander';
import { ScmixError } from '../../errors.js';
import { describeCells, type CellsSummary, type Quantiles } from '../../data/index.js';
import { CELLS_FORMATS, type CellsFormat } from '../../io/index.js';
import { createProgress, formatNumber, type Progress } from '../progress.js';

interface InspectFlags {
  json?: boolean;
  format?: string;
  symbolColumn?: string;
  quiet?: boolean;
}

export function parseFormat(format: string | undefined): CellsFormat | undefined {
  if (format === undefined) return undefined;
  if (!(CELLS_FORMATS as readonly string[]).includes(format)) {
    throw new ScmixError('CONFIG_INVALID', `--format must be one of ${CELLS_FORMATS.join(', ')}, got "${format}"`);
  }
  return format as CellsFormat;
}

/** `scmix inspect FILE`: prints a summary (text on stdout, or one JSON line with --json). */
export async function inspectCommand(file: string, flags: InspectFlags): Promise<CellsSummary> {
  let bar: Progress | undefined;
  const summary = await describeCells(file, {
    format: parseFormat(flags.format),
    symbolColumn: flags.symbolColumn,
    onProgress: flags.quiet
      ? undefined
      : (done, total, unit) => {
          bar ??= unit === 'bytes'
            ? createProgress({ label: 'read', total: total / 1e6, unit: 'MB' })
            : createProgress({ label: 'scan', total, unit: 'cells' });
          bar.update(unit === 'bytes' ? done / 1e6 : done);
        },
  });
  bar?.finish();
  process.stdout.write(flags.json ? JSON.stringify(summary) + '\n' : render(summary));
  return summary;
}

const fmtQ = (q: Quantiles | null, digits: (v: number) => string) =>
  q ? `min ${digits(q.min)}  5% ${digits(q.q05)}  25% ${digits(q.q25)}  median ${digits(q.median)}  75% ${digits(q.q75)}  95% ${digits(q.q95)}  max ${digits(q.max)}` : '(no non-empty cells)';

function render(s: CellsSummary): string {
  const L: string[] = [];
  L.push(`${s.path}`);
  L.push(`  format      ${s.format}`);
  L.push(`  shape       ${s.shape[0]} cells x ${s.shape[1]} genes`);
  L.push(`  nnz         ${s.nnz} (density ${(s.density * 100).toFixed(2)}%)`);
  L.push(`  X           ${Object.entries(s.x).filter(([, v]) => v !== undefined && v !== null).map(([k, v]) => `${k}=${typeof v === 'object' ? JSON.stringify(v) : v}`).join('  ')}`);
  const c = s.counts;
  L.push(`  counts      ${c.integer ? 'integer (raw counts)' : 'NOT integer counts'}; values ${formatNumber(c.min)}..${formatNumber(c.max)}` +
    (c.firstBad ? `; first non-count ${c.firstBad.value} at cell "${c.firstBad.cell}", gene "${c.firstBad.gene}"` : ''));
  if (s.layers.length) L.push(`  layers      ${s.layers.join(', ')}`);
  L.push(`  obs         ${s.obs.length ? s.obs.map((o) => `${o.name} (${o.type})`).join(', ') : '(no columns)'}`);
  L.push(`  var         ${s.var.length ? s.var.map((o) => `${o.name} (${o.type})`).join(', ') : '(no columns)'}`);
  const q = s.qc;
  L.push(`  QC          mito genes: ${q.nMitoGenes} (symbols from ${q.symbolSource === 'index' ? 'the var index' : `var["${q.symbolSource}"]`})`);
  L.push(`    total counts   ${fmtQ(q.totalCounts, (v) => formatNumber(v))}`);
  L.push(`    mito fraction  ${fmtQ(q.mitoFraction, (v) => v.toFixed(4))}`);
  if (q.nEmptyCells) L.push(`    empty cells    ${q.nEmptyCells}`);
  const pct = s.shape[0] ? ((q.passDefault / s.shape[0]) * 100).toFixed(1) : '0';
  L.push(`    default QC (total > 1000 and mito < 0.1): ${q.passDefault} of ${s.shape[0]} cells pass (${pct}%)`);
  if (q.nMitoGenes === 0) L.push('    note: no MT- genes found; pass --symbol-column to name the var column holding gene symbols');
  return L.join('\n') + '\n';
}

export function register(program: Command): void {
  program
    .command('inspect')
    .description('summarise a cells x genes file: h5ad, 10x .h5, 10x MEX folder/matrix, 3CA study folder')
    .argument('<file>', 'input file or folder')
    .option('--json', 'print one JSON object instead of text')
    .option('--format <format>', `skip detection: ${CELLS_FORMATS.join(' | ')}`)
    .option('--symbol-column <name>', "var column with gene symbols for the MT- mask ('_index' = the var index; default: auto)")
    .option('--quiet', 'no progress output')
    .action(async (file: string, flags: InspectFlags) => {
      await inspectCommand(file, flags);
    });
}
