import { readFileSync } from 'node:fs';
import { ScmixError } from '../../errors.js';

/** Parse one CSV line (RFC 4180 quotes). */
export function splitCsvLine(line: string): string[] {
  const out: string[] = [];
  let cur = '';
  let q = false;
  for (let i = 0; i < line.length; i++) {
    const c = line[i]!;
    if (q) {
      if (c === '"' && line[i + 1] === '"') {
        cur += '"';
        i++;
      } else if (c === '"') q = false;
      else cur += c;
    } else if (c === '"') q = true;
    else if (c === ',') {
      out.push(cur);
      cur = '';
    } else cur += c;
  }
  out.push(cur);
  return out;
}

/** Read a percell.csv (cell,cell_type,r,r2) back. @throws INPUT_FORMAT on a wrong header. */
export function readPerCell(path: string): { cells: string[]; cellTypes: string[]; r: Float64Array; r2: Float64Array } {
  const lines = readFileSync(path, 'utf8').split('\n').filter((l) => l.length > 0);
  const head = splitCsvLine(lines[0] ?? '');
  if (head.join(',') !== 'cell,cell_type,r,r2') {
    throw new ScmixError('INPUT_FORMAT', `${path}: header is '${head.join(',')}', expected 'cell,cell_type,r,r2'`);
  }
  const n = lines.length - 1;
  const cells: string[] = new Array(n);
  const cellTypes: string[] = new Array(n);
  const r = new Float64Array(n);
  const r2 = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    const f = splitCsvLine(lines[i + 1]!);
    cells[i] = f[0]!;
    cellTypes[i] = f[1]!;
    r[i] = Number(f[2]);
    r2[i] = Number(f[3]);
  }
  return { cells, cellTypes, r, r2 };
}
