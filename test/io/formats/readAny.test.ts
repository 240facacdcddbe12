// readAnyCells dispatch on every supported input, and the CLI end to end (exit codes, --json).
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readAnyCells, detectCellsFormat, readMex, writeH5ad } from '../../../src/io/index.js';
import { REPO_ROOT } from '../../support/paths.js';
import { parseFormat } from '../../../src/cli/commands/inspect.js';
import { expected, fixture } from './oracle.js';

const tmp = mkdtempSync(join(tmpdir(), 'scmix-any-'));
after(() => rmSync(tmp, { recursive: true, force: true }));

test('readAnyCells: MEX folder, MEX matrix file, 3CA folder, 10x h5 and h5ad give the same kind of AnnData', async () => {
  const mex = await readAnyCells(fixture('mex', 'scanpy_v3_chr21'));
  assert.deepEqual([mex.X.nRows, mex.X.nCols], expected.mex.scanpy_v3_chr21.shape);
  assert.equal(detectCellsFormat(fixture('mex', 'scanpy_v3_chr21', 'matrix.mtx.gz')), 'mex');
  const h5 = await readAnyCells(fixture('mex', 'scanpy_v3_chr21.h5'));
  // The 10x HDF5 of the same Cell Ranger run holds the same matrix as its MEX folder.
  assert.equal(detectCellsFormat(fixture('mex', 'scanpy_v3_chr21.h5')), '10x-h5');
  assert.deepEqual([h5.X.nRows, h5.X.nCols], [mex.X.nRows, mex.X.nCols]);
  assert.deepEqual(h5.obs.index, mex.obs.index);
  assert.deepEqual(h5.var.index, mex.var.index);
  assert.deepEqual(h5.X.data, mex.X.data);
  assert.deepEqual(h5.X.indices, mex.X.indices);
  const ca = await readAnyCells(fixture('3ca', 'Data_Gao2021_Thyroid'));
  assert.equal(ca.X.nRows, 30);
  const a = await readMex(fixture('mex', 'atc2_v3_40cells'));
  const p = join(tmp, 'a.h5ad');
  await writeH5ad(p, { ...a, uns: {} });
  assert.equal(detectCellsFormat(p), 'h5ad');
  const back = await readAnyCells(p);
  assert.deepEqual(back.X.data, a.X.data);
  const forced = await readAnyCells(fixture('mex', 'scanpy_v3_chr21'), { format: 'mex' });
  assert.equal(forced.X.nRows, mex.X.nRows);
});

const cli = (...args: string[]) =>
  spawnSync(process.execPath, ['--import', 'tsx', join(REPO_ROOT, 'test/io/formats/runCli.ts'), ...args], { encoding: 'utf8', cwd: REPO_ROOT });

test('scmix inspect through the CLI: --json summary; a missing input exits 2 naming it', () => {
  const r = cli('inspect', fixture('mex', 'pbmc3k_v2_200cells'), '--json', '--quiet');
  assert.equal(r.status, 0, r.stderr);
  const s = JSON.parse(r.stdout);
  assert.deepEqual(s.shape, expected.mex.pbmc3k_v2_200cells.shape);
  assert.equal(s.qc.passDefault, expected.qc_pbmc3k.passDefault.length);
  assert.equal(s.x.version, 'v2');
  const bad = cli('inspect', join(tmp, 'missing_folder'));
  assert.equal(bad.status, 2);
  assert.match(bad.stderr, /input not found: .*missing_folder/);
  // flags are checked before any work starts
  assert.throws(() => parseFormat('loom'), /--format must be one of h5ad, 10x-h5, mex, 3ca/);
});
