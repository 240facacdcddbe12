import { test } from 'node:test';
import assert from 'node:assert/strict';
import { buildCorpus, buildEvalSet, planStudy, splitPart } from '../../src/study/index.js';
import type { AnnData } from '../../src/io/index.js';
import { atlasDir, memorySources, MINI, smallAtlas, studyIn } from './support.js';

const atlas = smallAtlas();
const dir = atlasDir();
const study = studyIn(dir, MINI);
const plan = await planStudy(study, { openSource: memorySources() });

const strs = (a: AnnData, frame: 'obs' | 'var', name: string): string[] => {
  const f = frame === 'obs' ? a.obs : a.var;
  if (name === 'index') return f.index;
  const c = f.columns.get(name)!;
  if (c.kind === 'categorical') return Array.from(c.codes, (k) => c.categories[k]);
  if (c.kind === 'string') return c.values;
  return Array.from((c as { values: Float64Array }).values, String);
};
const nums = (a: AnnData, name: string) => (a.obs.columns.get(name) as { values: Float64Array }).values;

/** Hand oracle of the study's QC on X: total > 1000 and MT- fraction < 0.1. */
function qcPass(a: AnnData, symbols: string[]): boolean[] {
  const out: boolean[] = [];
  for (let r = 0; r < a.X.nRows; r++) {
    let t = 0;
    let m = 0;
    for (let p = a.X.indptr[r]; p < a.X.indptr[r + 1]; p++) {
      t += a.X.data[p];
      if (symbols[a.X.indices[p]].startsWith('MT-')) m += a.X.data[p];
    }
    out.push(t > 1000 && m / t < 0.1);
  }
  return out;
}

test('X-based QC and obs filters count exactly the cells a hand check keeps', () => {
  const blood = atlas.sources.get('blood')!;
  const qc = qcPass(blood, strs(blood, 'var', 'feature_name'));
  const disease = strs(blood, 'obs', 'disease');
  const p = plan.sources.get('blood')!.prepared;
  assert.equal(p.nCells, blood.X.nRows);
  assert.equal(p.afterFilters, disease.filter((d) => d === 'normal').length);
  const expected = qc.map((ok, i) => ok && disease[i] === 'normal');
  assert.deepEqual(Array.from(p.passing), expected.flatMap((ok, i) => (ok ? [i] : [])));
});

test('author-column QC (Perturb-seq UMI_count / mitopercent) and the non-targeting filter', () => {
  const k = atlas.sources.get('k562')!;
  const umi = nums(k, 'UMI_count');
  const mito = nums(k, 'mitopercent');
  const gene = strs(k, 'obs', 'gene');
  const expected = gene.flatMap((g, i) => (g !== 'non-targeting' && umi[i] > 1000 && mito[i] < 0.1 ? [i] : []));
  assert.deepEqual(Array.from(plan.sources.get('k562')!.prepared.passing), expected);
});

test('symbols map to ids through another source (last duplicate wins); unmapped genes drop', () => {
  const cca = plan.sources.get('cca')!.prepared;
  const blood = atlas.sources.get('blood')!;
  const map = new Map(strs(blood, 'var', 'feature_name').map((s, i) => [s, blood.var.index[i]]));
  const ccaVar = atlas.sources.get('cca_hematologic')!.var.index;
  assert.deepEqual(cca.geneIds, ccaVar.map((s) => map.get(s) ?? null));
  // Versioned ids lose their version (brain: ENSG...N.k -> ENSG...N).
  const brain = plan.sources.get('brain')!.prepared;
  assert.equal(brain.geneIds[0], atlas.sources.get('brain')!.var.index[0].replace(/\.\d+$/, ''));
});

test('split halves are disjoint, cover the available cells, and depend on the seed', () => {
  const avail = plan.sources.get('blood')!.prepared.passing;
  const h0 = splitPart(avail, 'blood', 2, 0, 0);
  const h1 = splitPart(avail, 'blood', 2, 1, 0);
  assert.equal(h0.length + h1.length, avail.length);
  const s0 = new Set(h0);
  assert.ok(Array.from(h1).every((r) => !s0.has(r)));
  assert.notDeepEqual(splitPart(avail, 'blood', 2, 0, 1), h0);
});

test('a corpus holds exactly the chosen source rows on the gene intersection, labelled per component', () => {
  const { adata, manifest } = buildCorpus(plan, 'Blood+Cancer', 0);
  const genes = plan.genes.get('Blood+Cancer')!;
  assert.deepEqual(adata.var.index, genes);
  assert.deepEqual([...genes].sort(), genes, 'sorted ids');
  assert.equal(adata.X.nRows, 350);
  assert.deepEqual(adata.obs.index.slice(0, 3), ['0', '1', '2']);
  const ds = strs(adata, 'obs', 'dataset');
  assert.deepEqual([ds.filter((d) => d === 'b1').length, ds.filter((d) => d === 'cca').length], [200, 150]);
  // Check 20 cells against their source rows, gene by gene.
  const rows = nums(adata, 'source_row');
  const src = strs(adata, 'obs', 'source');
  for (const i of [0, 1, 57, 199, 200, 201, 349]) {
    const name = src[i] === 'blood' ? 'blood' : 'cca_hematologic';
    const a = atlas.sources.get(name)!;
    const ids = src[i] === 'blood' ? a.var.index : plan.sources.get('cca')!.prepared.geneIds;
    const want = new Map<string, number>();
    const r = rows[i];
    for (let p = a.X.indptr[r]; p < a.X.indptr[r + 1]; p++) {
      const id = ids[a.X.indices[p]];
      if (id !== null && !want.has(id)) want.set(id, a.X.data[p]);
    }
    for (let p = adata.X.indptr[i]; p < adata.X.indptr[i + 1]; p++) assert.equal(adata.X.data[p], want.get(genes[adata.X.indices[p]]));
    const nnzWant = genes.filter((g) => want.has(g)).length;
    assert.equal(adata.X.indptr[i + 1] - adata.X.indptr[i], nnzWant);
  }
  assert.equal(manifest.nCells, 350);
  assert.deepEqual(manifest.components.map((c) => [c.name, c.nCells, c.split]), [['b1', 200, '0/2'], ['cca', 150, null]]);
  assert.equal(manifest.sources.blood.afterQc, plan.sources.get('blood')!.prepared.afterQc);
  assert.equal(manifest.geneSet, 'study');
});

test('the study-wide gene set is the intersection over every component source', () => {
  const ids = (name: string) => new Set(plan.sources.get(name)!.prepared.geneIds.filter((x) => x !== null));
  const all = ['blood', 'bone_marrow', 'k562', 'cca'].map(ids);
  const expected = [...all[0]].filter((g) => all.every((s) => s.has(g))).sort();
  for (const g of plan.genes.values()) assert.deepEqual(g, expected);
  assert.ok(expected.length < all[0].size, 'k562 and cca lack some genes');
});

test('same seed, same cells; other seed, other cells; Blood is the first half of Blood+Blood', () => {
  const a = buildCorpus(plan, 'Blood+Blood', 0).adata;
  const b = buildCorpus(plan, 'Blood+Blood', 0).adata;
  const c = buildCorpus(plan, 'Blood+Blood', 1).adata;
  assert.deepEqual(a.X.data, b.X.data);
  assert.deepEqual(nums(a, 'source_row'), nums(b, 'source_row'));
  assert.notDeepEqual(nums(a, 'source_row'), nums(c, 'source_row'));
  const base = buildCorpus(plan, 'Blood', 0).adata;
  assert.deepEqual(nums(base, 'source_row'), nums(a, 'source_row').slice(0, 200));
  const halves = nums(a, 'source_row');
  assert.equal(new Set(halves).size, 400, 'the two halves share no cell');
});

test('an evaluation set keeps all of its source genes and is seed-independent', () => {
  const { adata, manifest } = buildEvalSet(plan, 'Neurons');
  assert.equal(adata.X.nRows, 50);
  assert.equal(adata.X.nCols, atlas.sources.get('brain')!.X.nCols);
  assert.equal(manifest.seed, null);
  assert.deepEqual(strs(adata, 'obs', 'cell_type')[0], 'neuron');
});

test('a source whose columns are in another order than the corpus genes is re-sorted per row', async () => {
  const { cellSourceFromAnnData } = await import('../../src/study/index.js');
  const blood = atlas.sources.get('blood')!;
  // Reverse the var order (columns) of blood: the corpus order (sorted ids) is then decreasing.
  const G = blood.X.nCols;
  const indptr = Int32Array.from(blood.X.indptr as Int32Array);
  const indices = new Int32Array(blood.X.indices.length);
  const data = new Float32Array(blood.X.data.length);
  for (let r = 0; r < blood.X.nRows; r++) {
    const a = blood.X.indptr[r], b = blood.X.indptr[r + 1];
    for (let p = a; p < b; p++) {
      indices[a + (b - 1 - p)] = G - 1 - blood.X.indices[p];
      data[a + (b - 1 - p)] = blood.X.data[p];
    }
  }
  const rev = <T,>(a: T[]) => a.slice().reverse();
  const reversed = {
    ...blood,
    X: { ...blood.X, indptr, indices, data },
    var: { index: rev(blood.var.index), columns: new Map([...blood.var.columns].map(([k, c]) => [k, { ...c, values: rev((c as { values: string[] }).values) }])) },
  } as AnnData;
  const yaml = MINI.replace('seeds: [0, 1]', 'seeds: [0]');
  const s = studyIn(dir, yaml);
  const open = memorySources();
  const p2 = await planStudy(s, { corpora: ['Blood'], openSource: async (n, path) => (n === 'blood' ? cellSourceFromAnnData(reversed) : open(n, path)) });
  const a = buildCorpus(p2, 'Blood', 0).adata;
  const b = buildCorpus(plan, 'Blood', 0).adata;
  p2.close();
  assert.deepEqual(a.var.index, b.var.index);
  assert.deepEqual(a.X.indptr, b.X.indptr);
  assert.deepEqual(a.X.indices, b.X.indices);
  assert.deepEqual(a.X.data, b.X.data);
});
