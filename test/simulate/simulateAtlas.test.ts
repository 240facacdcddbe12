import { test } from 'node:test';
import assert from 'node:assert/strict';
import { simulateAtlas, SOURCES, MT_GENES } from '../../src/simulate/index.js';
import type { AnnData } from '../../src/io/index.js';

// One small atlas shared by the structure checks (scale 0.25: about 3.5k cells).
const atlas = simulateAtlas({ seed: 3, scale: 0.25, nGenes: 300 });

function col(a: AnnData, name: string): string[] {
  const c = a.obs.columns.get(name)!;
  if (c.kind === 'categorical') return Array.from(c.codes, (k) => c.categories[k]);
  if (c.kind === 'string') return c.values;
  return Array.from((c as { values: Float64Array }).values, String);
}

/** Mean log1p(cp10k) of the genes whose symbol starts with `prefix` (digits follow), over cells. */
function programLevel(a: AnnData, prefix: string, cellType?: string, rows?: boolean[]): number {
  const syms = a.var.columns.has('feature_name') ? (a.var.columns.get('feature_name') as { values: string[] }).values : a.var.columns.has('gene_name') ? (a.var.columns.get('gene_name') as { values: string[] }).values : a.var.columns.has('Gene') ? (a.var.columns.get('Gene') as { values: string[] }).values : a.var.index;
  const re = new RegExp(`^${prefix}\\d+$`);
  const mask = syms.map((s) => re.test(s));
  const nIn = mask.filter(Boolean).length;
  let acc = 0;
  let n = 0;
  const X = a.X;
  const types = cellType ? col(a, 'cell_type') : undefined;
  for (let r = 0; r < X.nRows; r++) {
    if ((types && types[r] !== cellType) || (rows && !rows[r])) continue;
    n++;
    let tot = 0;
    for (let p = X.indptr[r]; p < X.indptr[r + 1]; p++) tot += X.data[p];
    for (let p = X.indptr[r]; p < X.indptr[r + 1]; p++) if (mask[X.indices[p]]) acc += Math.log1p((X.data[p] / tot) * 1e4);
  }
  return acc / (n * nIn);
}

test('every source has the designed cell count, integer counts and sorted CSR rows', () => {
  assert.equal(atlas.sources.size, SOURCES.length);
  for (const spec of SOURCES) {
    const a = atlas.sources.get(spec.name)!;
    assert.equal(a.X.nRows, Math.round(spec.nCells * 0.25), spec.name);
    assert.equal(a.obs.index.length, a.X.nRows);
    assert.equal(a.var.index.length, a.X.nCols);
    for (let p = 0; p < a.X.data.length; p++) assert.ok(Number.isInteger(a.X.data[p]) && a.X.data[p] > 0);
    for (let r = 0; r < a.X.nRows; r++) for (let p = a.X.indptr[r] + 1; p < a.X.indptr[r + 1]; p++) assert.ok(a.X.indices[p] > a.X.indices[p - 1]);
  }
});

test('gene naming mirrors the real inputs (ids, symbols, versioned ids, MT- genes)', () => {
  const blood = atlas.sources.get('blood')!;
  assert.match(blood.var.index[0], /^ENSG9\d{10}$/);
  const names = (blood.var.columns.get('feature_name') as { values: string[] }).values;
  assert.deepEqual(names.filter((s) => s.startsWith('MT-')), [...MT_GENES]);
  assert.match(atlas.sources.get('cca_hematologic')!.var.index[0], /^[A-Z]+\d+$/); // symbols
  assert.match(atlas.sources.get('brain')!.var.index[0], /^ENSG9\d{10}\.\d$/); // versioned
  // Sources with dropGenes lack about that fraction of the universe.
  assert.equal(atlas.sources.get('tf_atlas')!.X.nCols, 300 - Math.round(300 * 0.02) + 13);
});

test('QC failures: the study rule (total > 1000, mito < 0.1) removes about 10% of cells, as simulated', () => {
  for (const name of ['blood', 'bone_marrow', 'tf_atlas']) {
    const a = atlas.sources.get(name)!;
    const syms = name === 'tf_atlas' ? a.var.index : (a.var.columns.get('feature_name') as { values: string[] }).values;
    let fail = 0;
    for (let r = 0; r < a.X.nRows; r++) {
      let t = 0;
      let m = 0;
      for (let p = a.X.indptr[r]; p < a.X.indptr[r + 1]; p++) {
        t += a.X.data[p];
        if (syms[a.X.indices[p]].startsWith('MT-')) m += a.X.data[p];
      }
      if (!(t > 1000 && m / t < 0.1)) fail++;
    }
    const rate = fail / a.X.nRows;
    // Designed: 5% low library + 5% high mito; normal cells essentially always pass.
    assert.ok(Math.abs(rate - atlas.truth.qcFailRate[name]) < 0.03, `${name}: rule ${rate} vs simulated ${atlas.truth.qcFailRate[name]}`);
    assert.ok(rate > 0.04 && rate < 0.18, `${name}: ${rate}`);
  }
});

test('program sharing: TF atlas shares NEURO with brain and EPI with skin; blood never uses them', () => {
  const level = (src: string, p: string, type?: string) => programLevel(atlas.sources.get(src)!, p, type);
  const neuralLike = level('tf_atlas', 'NEURO', 'TF-induced neural-like');
  const epiLike = level('tf_atlas', 'EPI', 'TF-induced epithelial-like');
  assert.ok(neuralLike > level('blood', 'NEURO') + 1.5, `NEURO: tf neural-like ${neuralLike} blood ${level('blood', 'NEURO')}`);
  assert.ok(epiLike > level('blood', 'EPI') + 1.5, `EPI: tf epithelial-like ${epiLike} blood ${level('blood', 'EPI')}`);
  assert.ok(level('brain', 'NEURO') > level('blood', 'NEURO') + 1.5);
  assert.ok(level('skin_scc', 'EPI') > level('blood', 'EPI') + 1.5);
  // Private OOD programs are absent from every training source.
  for (const src of ['blood', 'bone_marrow', 'cca_hematologic', 'k562', 'tf_atlas']) assert.ok(level('brain', 'NEUROX') > level(src, 'NEUROX') + 1.5, src);
  // Bone marrow carries the progenitor programs blood lacks.
  const progenitor = { HSC: 'hematopoietic stem cell', ERY: 'erythroid progenitor', GMP: 'granulocyte monocyte progenitor' };
  for (const [p, type] of Object.entries(progenitor)) assert.ok(level('bone_marrow', p, type) > level('blood', p) + 1.5, p);
  // The held-out AML study has the private AMLX program; the other malignant studies do not.
  const cca = atlas.sources.get('cca_hematologic')!;
  const study = col(cca, 'study');
  const galen = study.map((s) => s === 'vanGalen2019sim');
  assert.ok(galen.some(Boolean) && !galen.every(Boolean));
  const amlx = (held: boolean) => programLevel(cca, 'AMLX', 'Malignant', galen.map((g) => g === held));
  assert.ok(amlx(true) > amlx(false) + 1.5, `AMLX held-out ${amlx(true)} others ${amlx(false)}`);
  const malig = (held: boolean) => programLevel(cca, 'MALIG', 'Malignant', galen.map((g) => g === held));
  assert.ok(malig(true) > level('blood', 'MALIG') + 0.5, 'the held-out study shares MALIG with the training studies');
  assert.ok(malig(false) > malig(true), 'but less of it');
  // The training studies are heterogeneous (3CA: leukemias vs CLL/myeloma): lymphoid B lineage in
  // Gavish-like, myeloid/stem (GMP, HSC) in Tyler-like malignant cells, so both share lineage
  // programs with blood and bone marrow.
  const inStudy = (s: string) => study.map((x) => x === s);
  const lv = (p: string, s: string) => programLevel(cca, p, 'Malignant', inStudy(s));
  assert.ok(lv('B', 'Gavish2023sim') > lv('B', 'Tyler2024sim') + 0.5, `B: ${lv('B', 'Gavish2023sim')} vs ${lv('B', 'Tyler2024sim')}`);
  assert.ok(lv('GMP', 'Tyler2024sim') > lv('GMP', 'Gavish2023sim') + 0.3, `GMP: ${lv('GMP', 'Tyler2024sim')} vs ${lv('GMP', 'Gavish2023sim')}`);
  assert.ok(lv('HSC', 'Tyler2024sim') > lv('HSC', 'Gavish2023sim') + 0.4, `HSC: ${lv('HSC', 'Tyler2024sim')} vs ${lv('HSC', 'Gavish2023sim')}`);
  for (const s of ['Tyler2024sim', 'Gavish2023sim']) assert.ok(lv('IMMUNE', s) > lv('IMMUNE', 'vanGalen2019sim') + 0.5, `IMMUNE ${s}`);
});

test('Perturb-seq knockdowns each have a strong signature of their own', () => {
  // Per target: mean log1p(cp10k) profile of its cells vs the non-targeting cells; the largest
  // absolute differences are far beyond the knocked-down gene alone.
  const k562 = atlas.sources.get('k562')!;
  const gene = col(k562, 'gene');
  const X = k562.X;
  const profile = (rows: number[]) => {
    const m = new Float64Array(X.nCols);
    for (const r of rows) {
      let tot = 0;
      for (let p = X.indptr[r]; p < X.indptr[r + 1]; p++) tot += X.data[p];
      for (let p = X.indptr[r]; p < X.indptr[r + 1]; p++) m[X.indices[p]] += Math.log1p((X.data[p] / tot) * 1e4) / rows.length;
    }
    return m;
  };
  const byGene = new Map<string, number[]>();
  gene.forEach((g, r) => byGene.set(g, [...(byGene.get(g) ?? []), r]));
  const nt = byGene.get('non-targeting')!;
  const ctrl = profile(nt);
  const shifted = (d: Float64Array, ref: Float64Array) => {
    let k = 0;
    for (let j = 0; j < X.nCols; j++) if (Math.abs(d[j] - ref[j]) > 1) k++;
    return k;
  };
  const targets = [...byGene.entries()].filter(([g, rows]) => g !== 'non-targeting' && rows.length >= 6);
  assert.ok(targets.length >= 10, `targets with >= 6 cells: ${targets.length}`);
  // Noise floor: 6 non-targeting cells against all of them.
  const noise = shifted(profile(nt.slice(0, 6)), ctrl);
  assert.ok(noise < 10, `non-targeting noise floor: ${noise} genes`);
  for (const [g, rows] of targets) {
    const k = shifted(profile(rows.slice(0, 6)), ctrl);
    assert.ok(k >= 20 + noise, `${g}: ${k} genes shifted by > 1 log unit (noise floor ${noise})`);
  }
});

test('obs columns the study rules read are present with the expected values', () => {
  const blood = atlas.sources.get('blood')!;
  const disease = col(blood, 'disease');
  const frac = disease.filter((d) => d === 'normal').length / disease.length;
  assert.ok(frac > 0.85 && frac < 0.98, `normal fraction ${frac}`);
  const k562 = atlas.sources.get('k562')!;
  const gene = col(k562, 'gene');
  assert.ok(gene.includes('non-targeting'));
  // Author QC columns equal the counts in X.
  const umi = (k562.obs.columns.get('UMI_count') as { values: Float64Array }).values;
  let t0 = 0;
  for (let p = k562.X.indptr[0]; p < k562.X.indptr[1]; p++) t0 += k562.X.data[p];
  assert.equal(umi[0], t0);
  const tf = col(atlas.sources.get('tf_atlas')!, 'TF');
  assert.match(tf[0], /^TFORF\d{4}-[A-Z]+\d+$/);
  assert.match(atlas.gct, /^#1\.2\n\d+\t6\nName\tDescription\tWhole Blood/);
});

test('deterministic in the seed', () => {
  const a = simulateAtlas({ seed: 3, scale: 0.05, nGenes: 120, only: ['blood'] }).sources.get('blood')!;
  const b = simulateAtlas({ seed: 3, scale: 0.05, nGenes: 120, only: ['blood'] }).sources.get('blood')!;
  const c = simulateAtlas({ seed: 4, scale: 0.05, nGenes: 120, only: ['blood'] }).sources.get('blood')!;
  assert.deepEqual(a.X.data, b.X.data);
  assert.deepEqual(a.X.indices, b.X.indices);
  assert.notDeepEqual(a.X.data, c.X.data);
});
