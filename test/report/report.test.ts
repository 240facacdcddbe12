import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after as cleanup, test } from 'node:test';
import { writeReport } from '../../src/report/index.js';
import { summarizeGrid } from '../../src/eval/index.js';
import { makeRunDir } from './makeRunDir.js';

const corpora = { Blood: ['b1'], TFAtlas: ['tf'], 'Blood+TFAtlas': ['b1', 'tf'] };
const q: Record<string, Record<string, number>> = { Blood: { Blood: 0.8, Neurons: 0.05 }, TFAtlas: { Blood: 0.3, Neurons: 0.1 }, 'Blood+TFAtlas': { Blood: 0.8, Neurons: 0.3 } };

test('grid summary: log2FC vs the baseline corpus and seed agreement', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'scmix-grid-'));
  cleanup(() => rmSync(dir, { recursive: true, force: true }));
  await makeRunDir(dir, { corpora, evalSets: ['Blood', 'Neurons'], seeds: [0, 1], quality: (c, e) => q[c]![e]! });
  const g = summarizeGrid(dir);
  assert.equal(g.baseline, 'Blood'); // first corpus of the study config
  assert.deepEqual(g.corpora, ['Blood', 'TFAtlas', 'Blood+TFAtlas']);
  assert.deepEqual(g.evalSetGroups, { Blood: 'Non-disease', Neurons: 'OOD' });
  assert.equal(g.corpusGroups['Blood+TFAtlas'], 'Blood + X');
  assert.equal(g.corpusGroups.TFAtlas, 'Single source');
  assert.equal(g.cells.length, 12);
  for (const c of g.cells) {
    const b = g.cells.find((x) => x.corpus === 'Blood' && x.seed === c.seed && x.evalSet === c.evalSet)!;
    assert.ok(Math.abs(c.log2fc_median_r2! - Math.log2(c.median_r2! / b.median_r2!)) < 1e-12);
  }
  const tf = g.cells.find((x) => x.corpus === 'Blood+TFAtlas' && x.seed === 0 && x.evalSet === 'Neurons')!;
  assert.ok(tf.log2fc_median_r2! > 1, 'the mixture gains on the OOD set in this toy');
  assert.equal(g.seedAgreement.length, 6);
  for (const a of g.seedAgreement) assert.ok(a.n === 60 && a.pearson > 0.9);
});

test('report on a partial grid: all figures, tables, no scripts or network, deterministic bytes', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'scmix-report-'));
  cleanup(() => rmSync(dir, { recursive: true, force: true }));
  await makeRunDir(dir, { corpora, evalSets: ['Blood', 'Neurons'], seeds: [0, 1], quality: (c, e) => q[c]![e]!, skip: (c, e, s) => c === 'TFAtlas' && e === 'Neurons' && s === 0 });
  const r = await writeReport(dir);
  assert.equal(r.nCells, 11);
  assert.equal(r.nExpected, 12);
  for (const id of ['heatmap_ldvae_seed0', 'r2_distributions_ldvae_seed0', 'seed_scatter_ldvae_Blood', 'elbo_ldvae_seed0', 'umap_source_ldvae_seed0', 'umap_celltype_ldvae_seed0', 'example_cells_ldvae_Blood']) {
    assert.ok(r.figures.includes(id), id);
    const svg = readFileSync(join(dir, 'report', 'figures', `${id}.svg`), 'utf8');
    assert.ok(svg.startsWith('<svg') && svg.length > 1000, id);
    const png = readFileSync(join(dir, 'report', 'figures', `${id}.png`));
    assert.deepEqual([...png.subarray(1, 4)], [0x50, 0x4e, 0x47], `${id}.png signature`);
    assert.ok(png.length > 5000, `${id}.png size ${png.length}`);
  }
  const html = readFileSync(r.html, 'utf8');
  assert.ok(!/<script/i.test(html), 'no scripts');
  assert.ok(!/(src|href)\s*=\s*"(https?:)?\/\//i.test(html), 'no network references');
  assert.ok(html.includes('pending'), 'missing cell drawn as pending');
  assert.ok(html.includes('11 of 12'));
  assert.equal((html.match(/<svg /g) ?? []).length, 7);
  const grid = readFileSync(join(dir, 'report', 'tables', 'grid.csv'), 'utf8').trim().split('\n');
  assert.equal(grid.length, 12);
  assert.ok(grid[0]!.startsWith('model,corpus,seed,eval_set'));
  for (const t of ['grid.json', 'per_cell_type.csv', 'seed_agreement.csv', 'loading_overlap.csv', 'provenance.json']) assert.ok(existsSync(join(dir, 'report', 'tables', t)), t);
  const prov = JSON.parse(readFileSync(join(dir, 'report', 'tables', 'provenance.json'), 'utf8'));
  assert.equal(prov.entries.length, 11);
  assert.match(prov.entries[0].corpusManifestSha256, /^[0-9a-f]{64}$/);
  assert.ok(Object.keys(prov.entries[0].modelSha256).includes('model.json'));
  // same inputs -> same bytes (the UMAP cache is reused, figures are recomputed)
  const before = readdirSync(join(dir, 'report', 'figures')).map((f) => readFileSync(join(dir, 'report', 'figures', f)).toString('base64'));
  await writeReport(dir);
  const after = readdirSync(join(dir, 'report', 'figures')).map((f) => readFileSync(join(dir, 'report', 'figures', f)).toString('base64'));
  assert.deepEqual(after, before);
  assert.equal(readFileSync(r.html, 'utf8'), html);
});

test('report of an empty run directory still renders', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'scmix-empty-'));
  cleanup(() => rmSync(dir, { recursive: true, force: true }));
  const r = await writeReport(dir);
  assert.equal(r.nCells, 0);
  assert.ok(readFileSync(r.html, 'utf8').includes('<h1>'));
});

test('scmix report: writes the report (--json) and rejects a missing run directory with exit 2', async () => {
  const { runCli } = await import('../../src/cli/main.js');
  const dir = mkdtempSync(join(tmpdir(), 'scmix-reportcli-'));
  cleanup(() => rmSync(dir, { recursive: true, force: true }));
  await makeRunDir(dir, { corpora: { Blood: ['b1'], 'Blood+TFAtlas': ['b1', 'tf'] }, evalSets: ['Blood'], seeds: [0], quality: (c) => (c === 'Blood' ? 0.6 : 0.7) });
  let out = '';
  let err = '';
  const ow = process.stdout.write.bind(process.stdout);
  const ew = process.stderr.write.bind(process.stderr);
  process.stdout.write = ((s: string) => ((out += s), true)) as typeof process.stdout.write;
  process.stderr.write = ((s: string) => ((err += s), true)) as typeof process.stderr.write;
  let ok: number;
  let bad: number;
  try {
    ok = await runCli(['node', 'scmix', 'report', dir, '--json', '--no-png']);
    bad = await runCli(['node', 'scmix', 'report', join(dir, 'missing')]);
  } finally {
    process.stdout.write = ow;
    process.stderr.write = ew;
  }
  assert.equal(ok, 0, err);
  const res = JSON.parse(out.trim().split('\n')[0]!);
  assert.equal(res.nCells, 2);
  assert.ok(existsSync(res.html));
  assert.ok(!existsSync(join(dir, 'report', 'figures', 'heatmap_ldvae_seed0.png')), '--no-png');
  assert.equal(bad, 2);
  assert.match(err, /missing: run directory not found/);
});
