// Bad inputs: one clear ScmixError each, naming the file and the problem. Broken copies of the
// real fixtures are made in a temporary folder.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync, gunzipSync } from 'node:zlib';
import { readMex, read3ca, readGct, readAnyCells, readCsvTable } from '../../../src/io/formats/index.js';
import { assertCounts } from '../../../src/data/index.js';
import { ScmixError } from '../../../src/errors.js';
import { fixture } from './oracle.js';

const tmp = mkdtempSync(join(tmpdir(), 'scmix-bad-'));
after(() => rmSync(tmp, { recursive: true, force: true }));

let n = 0;
/** A copy of a fixture folder to break. */
function copyOf(...p: string[]): string {
  const dst = join(tmp, `case${n++}`);
  cpSync(fixture(...p), dst, { recursive: true });
  return dst;
}

const isErr = (code: string, ...res: RegExp[]) => (e: unknown) => {
  assert.ok(e instanceof ScmixError, `expected ScmixError, got ${String(e)}`);
  assert.equal(e.code, code, e.message);
  for (const re of res) assert.match(e.message, re);
  return true;
};

const mtxText = (dir: string) => gunzipSync(readFileSync(join(dir, 'matrix.mtx.gz'))).toString();
const writeMtx = (dir: string, text: string) => writeFileSync(join(dir, 'matrix.mtx.gz'), gzipSync(text));

test('missing folder / missing side file -> INPUT_MISSING naming the path', async () => {
  await assert.rejects(readMex(join(tmp, 'nope')), isErr('INPUT_MISSING', /nope/));
  const d = copyOf('mex', 'atc2_v3_40cells');
  rmSync(join(d, 'barcodes.tsv.gz'));
  await assert.rejects(readMex(d), isErr('INPUT_MISSING', /barcodes\.tsv/, new RegExp(d.replace(/[/\\]/g, '.'))));
  await assert.rejects(readAnyCells(join(tmp, 'nothing.h5ad')), isErr('INPUT_MISSING', /nothing\.h5ad/));
  await assert.rejects(readGct(join(tmp, 'x.gct')), isErr('INPUT_MISSING', /x\.gct/));
});

test('truncated gzip matrix -> INPUT_FORMAT "truncated or corrupt gzip" naming the file', async () => {
  const d = copyOf('mex', 'atc2_v3_40cells');
  const gz = readFileSync(join(d, 'matrix.mtx.gz'));
  writeFileSync(join(d, 'matrix.mtx.gz'), gz.subarray(0, Math.floor(gz.length / 2)));
  await assert.rejects(readMex(d), isErr('INPUT_FORMAT', /matrix\.mtx\.gz/, /truncated or corrupt gzip/));
  // truncated gzip side file too
  const d2 = copyOf('mex', 'atc2_v3_40cells');
  const f = readFileSync(join(d2, 'features.tsv.gz'));
  writeFileSync(join(d2, 'features.tsv.gz'), f.subarray(0, f.length - 20));
  await assert.rejects(readMex(d2), isErr('INPUT_FORMAT', /features\.tsv\.gz/, /truncated or corrupt gzip/));
});

test('mismatched barcodes / features vs the matrix size line -> SHAPE_MISMATCH with both counts', async () => {
  const d = copyOf('mex', 'pbmc3k_v2_200cells');
  const bc = readFileSync(join(d, 'barcodes.tsv'), 'utf8').split('\n').filter(Boolean);
  writeFileSync(join(d, 'barcodes.tsv'), bc.slice(1).join('\n') + '\n');
  await assert.rejects(readMex(d), isErr('SHAPE_MISMATCH', /barcodes\.tsv has 199 barcodes/, /200 columns/));
  const d2 = copyOf('mex', 'pbmc3k_v2_200cells');
  writeFileSync(join(d2, 'genes.tsv'), readFileSync(join(d2, 'genes.tsv'), 'utf8') + 'ENSG_EXTRA\tEXTRA\n');
  await assert.rejects(readMex(d2), isErr('SHAPE_MISMATCH', /genes\.tsv has 8044 features/, /8043 rows/));
  const d3 = copyOf('3ca', 'Data_Gao2021_Thyroid');
  const cells = readFileSync(join(d3, 'Cells.csv'), 'utf8').trimEnd().split('\n');
  writeFileSync(join(d3, 'Cells.csv'), cells.slice(0, -1).join('\n') + '\n');
  await assert.rejects(read3ca(d3), isErr('SHAPE_MISMATCH', /Cells\.csv has 29 cells/, /30 columns/));
});

test('bad MatrixMarket header, bad size line, index out of range, short file -> INPUT_FORMAT with line', async () => {
  const cases: [(t: string) => string, RegExp[]][] = [
    [(t) => t.replace('%%MatrixMarket matrix coordinate integer general', '%%MatrixMarket matrix array integer general'), [/only "matrix coordinate"/, /:1:/]],
    [(t) => t.replace('%%MatrixMarket', 'hello'), [/not a MatrixMarket file/]],
    [(t) => t.replace('integer general', 'integer symmetric'), [/symmetry "symmetric"/]],
    [(t) => t.replace(/\n1501 40 46310\n/, '\n1501 forty 46310\n'), [/bad MatrixMarket size line/, /:3:/]],
    [(t) => t.replace(/\n(\d+) 1 (\d+)\n/, '\n1502 1 $2\n'), [/entry \(1502, 1\) outside the 1501 x 40 matrix/]],
    [(t) => t.replace(/\n(\d+) 1 (\d+)\n/, '\n$1 1 abc\n'), [/malformed entry line/]],
    [(t) => t.split('\n').slice(0, 1000).join('\n') + '\n', [/only 997 of the 46310 entries/, /truncated/]],
  ];
  for (const [edit, res] of cases) {
    const d = copyOf('mex', 'atc2_v3_40cells');
    writeMtx(d, edit(mtxText(d)));
    await assert.rejects(readMex(d), isErr('INPUT_FORMAT', /matrix\.mtx\.gz/, ...res));
  }
});

test('non-integer counts and NaN parse, then assertCounts names the file, cell and gene', async () => {
  for (const [bad, re] of [['2.5', /not a whole number/], ['nan', /NaN/], ['-3', /negative/]] as const) {
    const d = copyOf('mex', 'atc2_v3_40cells');
    const t = mtxText(d).replace('integer general', 'real general');
    const lines = t.split('\n');
    const [g, c] = lines[3].split(' ');
    lines[3] = `${g} ${c} ${bad}`;
    writeMtx(d, lines.join('\n'));
    const a = await readMex(d);
    assert.throws(
      () => assertCounts(a.X, { source: join(d, 'matrix.mtx.gz'), obsNames: a.obs.index, varNames: a.var.index }),
      isErr('INPUT_VALUE', re, /matrix\.mtx\.gz/, new RegExp(`"${a.obs.index[Number(c) - 1]}"`), new RegExp(`"${a.var.index[Number(g) - 1]}"`)),
    );
  }
});

test('GCT and CSV problems name the file and line', async () => {
  const p = join(tmp, 'bad.gct');
  writeFileSync(p, '#1.2\n3\t4\nName\tDescription\tA\tB\tC\tD\nG1\tx\t1\t2\t3\t4\n');
  await assert.rejects(readGct(p), isErr('INPUT_FORMAT', /bad\.gct/, /only 1 of the 3 rows/));
  writeFileSync(p, '#1.2\n1\t2\nName\tDescription\tA\tB\nG1\tx\t1\tseven\n');
  await assert.rejects(readGct(p), isErr('INPUT_FORMAT', /bad\.gct:4/, /"seven"/, /sample "B"/));
  writeFileSync(p, '#2.0\n');
  await assert.rejects(readGct(p), isErr('INPUT_FORMAT', /not a GCT file/));
  const c = join(tmp, 'bad.csv');
  writeFileSync(c, 'barcode,x\nA,1\nB,2,3\n');
  assert.throws(() => readCsvTable(c), isErr('INPUT_FORMAT', /bad\.csv:3/, /3 fields but the header has 2/));
  writeFileSync(c, 'barcode,x\nA,1\nA,2\n');
  assert.throws(() => readCsvTable(c), isErr('INPUT_FORMAT', /repeats the value "A"/));
});

test('an unrecognised input -> INPUT_FORMAT listing what is accepted', async () => {
  const d = join(tmp, 'emptydir');
  cpSync(fixture('gct'), d, { recursive: true });
  await assert.rejects(readAnyCells(d), isErr('INPUT_FORMAT', /neither matrix\.mtx/));
  await assert.rejects(readAnyCells(join(d, 'toy_v13.gct')), isErr('INPUT_FORMAT', /GCT file is a genes x samples bulk table/));
  assert.ok(readdirSync(tmp).length > 0);
});

test('CSV variants: byte-order mark, R write.table header without the index cell, gz', () => {
  const c = join(tmp, 'r.tsv');
  writeFileSync(c, '\uFEFFcell_type\tn\nAAAC-1\tT\t3\nTTTG-1\tB\t4\n');
  const t = readCsvTable(c);
  assert.deepEqual(t.index, ['AAAC-1', 'TTTG-1']);
  assert.deepEqual([...t.columns.keys()], ['cell_type', 'n']);
  const b = join(tmp, 'bom.csv.gz');
  writeFileSync(b, gzipSync('\uFEFF"barcode","x"\n"A",1\n'));
  const tb = readCsvTable(b, { indexCol: 'barcode' });
  assert.deepEqual(tb.index, ['A']);
  assert.deepEqual([...tb.columns.keys()], ['x']);
});
