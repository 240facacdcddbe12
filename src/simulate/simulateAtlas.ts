/**
 * Simulate the multi-source atlas in memory: one AnnData (raw NB counts, CSR) per source of
 * SOURCES, plus a GTEx-like median-TPM table for the TF rule. Deterministic in (seed, scale,
 * nGenes): every source draws from its own forked Rng stream, so adding a source never changes
 * the others.
 *
 * Counts: for cell c and gene g, mu = L_c * share * p_c[g], with p_c = softmax_g(base_g +
 * sum_p a_cp * W_pg) over nuclear genes (share = 1 - m_c) or over MT- genes (share = m_c); the
 * count is Poisson(mu * Gamma(theta_g)/theta_g), i.e. NB with gene-specific dispersion theta_g.
 * About 5% of cells get a low library and 5% a high mito fraction, so they fail the study's QC.
 * Perturb-seq cells add their knockdown's signature (SIG_GENES genes, log-fold sd SIG_LFC) to the
 * logits; sources with per-batch cell type mixes (`batchTypes`) draw the batch before the type.
 */
import { Rng } from '../data/index.js';
import type { AnnData, Column, Csr, Frame } from '../io/index.js';
import { CELL_TYPES, MT_GENES, PROGRAMS, SOURCES, type CellTypeKey, type Program, type SourceSpec } from './atlasSpec.js';

export interface SimulateOptions {
  /** master seed (default 0) */
  seed?: number;
  /** multiplies every source's cell count (default 1) */
  scale?: number;
  /** nuclear (non-MT) genes in the universe (default 600) */
  nGenes?: number;
  /** only these sources (default all) */
  only?: readonly string[];
  /** called after each source with (source name, cells done in it, cells in it) */
  onProgress?: (source: string, done: number, total: number) => void;
}

/** Ground truth a test can check against. */
export interface AtlasTruth {
  /** every gene of the universe: ids, symbols, program (or 'HK' / 'MT') */
  genes: { id: string; symbol: string; program: Program | 'HK' | 'MT' }[];
  /** per source: the fraction of cells simulated to fail QC (low library or high mito) */
  qcFailRate: Record<string, number>;
  /** TF symbols and their GTEx Whole Blood z-score */
  tfZ: Record<string, number>;
}

export interface SimulatedAtlas {
  sources: Map<string, AnnData>;
  /** GTEx-like median TPM table (.gct text) for the TF filter */
  gct: string;
  truth: AtlasTruth;
}

/** Genes each Perturb-seq knockdown shifts, and the sd of its log-fold effects. */
const N_TARGETS = 30;
const SIG_GENES = 150;
const SIG_LFC = 2.5;

const GTEX_TISSUES = ['Whole Blood', 'Brain - Cortex', 'Skin - Sun Exposed (Lower leg)', 'Liver', 'Lung', 'Muscle - Skeletal'];

/** Build the atlas. @throws RangeError on a non-positive scale or gene count. */
export function simulateAtlas(opts: SimulateOptions = {}): SimulatedAtlas {
  const seed = opts.seed ?? 0;
  const scale = opts.scale ?? 1;
  const nGenes = opts.nGenes ?? 600;
  if (!(scale > 0)) throw new RangeError(`scale must be > 0, got ${scale}`);
  if (!(nGenes >= PROGRAMS.length * 4)) throw new RangeError(`nGenes must be >= ${PROGRAMS.length * 4}, got ${nGenes}`);
  const root = new Rng(seed);
  const uni = buildUniverse(root.fork('universe'), nGenes);
  const tfRng = root.fork('tfs');
  // TFs: symbols of housekeeping-ish genes; z-scores spread so that about 60% pass z > -0.25.
  const tfSymbols = Array.from(tfRng.sampleWithoutReplacement(nGenes, 30), (i) => uni.genes[i].symbol);
  const tfZ: Record<string, number> = {};
  for (const s of tfSymbols) tfZ[s] = Math.round((tfRng.normal() * 0.8 + 0.0) * 1000) / 1000;
  const sources = new Map<string, AnnData>();
  const qcFailRate: Record<string, number> = {};
  for (const spec of SOURCES) {
    if (opts.only && !opts.only.includes(spec.name)) continue;
    const n = Math.max(1, Math.round(spec.nCells * scale));
    const { adata, failRate } = simulateSource(spec, n, uni, tfSymbols, root.fork(`source:${spec.name}`), opts.onProgress);
    sources.set(spec.name, adata);
    qcFailRate[spec.name] = failRate;
  }
  return { sources, gct: gtexTable(uni, tfZ, root.fork('gtex')), truth: { genes: uni.genes, qcFailRate, tfZ } };
}

interface Universe {
  genes: { id: string; symbol: string; program: Program | 'HK' | 'MT' }[];
  nNuclear: number;
  base: Float64Array; // [G] log baseline
  theta: Float64Array; // [G + MT] NB inverse dispersion
  load: Float64Array; // [P, G] program log-fold loadings
  mtBase: Float64Array; // [MT]
}

function buildUniverse(rng: Rng, nGenes: number): Universe {
  const P = PROGRAMS.length;
  const perProgram = Math.floor((nGenes * 0.8) / P);
  const genes: Universe['genes'] = [];
  const base = new Float64Array(nGenes);
  const load = new Float64Array(P * nGenes);
  const counters = new Map<string, number>();
  for (let g = 0; g < nGenes; g++) {
    const p = Math.floor(g / perProgram);
    const program: Program | 'HK' = p < P ? PROGRAMS[p] : 'HK';
    const k = (counters.get(program) ?? 0) + 1;
    counters.set(program, k);
    genes.push({ id: ensemblId(g), symbol: `${program}${k}`, program });
    base[g] = program === 'HK' ? rng.normal() * 0.6 : rng.normal() * 0.5 - 2;
    if (program !== 'HK') load[p * nGenes + g] = 2 + 1.5 * rng.uniform();
  }
  const mtBase = new Float64Array(MT_GENES.length);
  MT_GENES.forEach((s, i) => {
    genes.push({ id: ensemblId(nGenes + i), symbol: s, program: 'MT' });
    mtBase[i] = rng.normal() * 0.5;
  });
  const theta = new Float64Array(genes.length);
  for (let g = 0; g < theta.length; g++) theta[g] = Math.exp(Math.log(3) + 0.6 * rng.normal());
  return { genes, nNuclear: nGenes, base, theta, load, mtBase };
}

function ensemblId(i: number): string {
  return `ENSG9${String(i + 1).padStart(10, '0')}`;
}

function simulateSource(spec: SourceSpec, n: number, uni: Universe, tfSymbols: string[], rng: Rng, onProgress?: SimulateOptions['onProgress']) {
  const G = uni.nNuclear;
  const M = MT_GENES.length;
  const P = PROGRAMS.length;
  // Genes this file lacks (never MT-: QC needs them).
  const dropped = new Uint8Array(G);
  for (const i of rng.fork('drop').sampleWithoutReplacement(G, Math.round(G * spec.dropGenes))) dropped[i] = 1;
  const keep: number[] = [];
  for (let g = 0; g < G; g++) if (!dropped[g]) keep.push(g);
  for (let i = 0; i < M; i++) keep.push(G + i);
  const colOf = new Int32Array(G + M).fill(-1);
  keep.forEach((g, j) => (colOf[g] = j));
  // Batch effects: a small gene-wise log shift per batch.
  const batchShift = spec.batches.map(() => Float64Array.from({ length: G }, () => 0.15 * rng.normal()));
  // Cell type mixes: one for the source, or one per batch (batch drawn first).
  const mix = (types: Partial<Record<CellTypeKey, number>>) => {
    const keys = Object.keys(types) as CellTypeKey[];
    const w = keys.map((k) => types[k]!);
    return { keys, w, sum: w.reduce((a, b) => a + b, 0) };
  };
  const mixes = spec.batchTypes ? spec.batches.map((b) => mix(spec.batchTypes![b])) : [mix(spec.types)];
  // Perturbations (Perturb-seq) and TFs (TF atlas): per target, a knocked-down gene, a stress mix
  // and the knockdown's own signature (log-fold effects on SIG_GENES random genes).
  const targets = spec.kind === 'perturb' ? Array.from(rng.sampleWithoutReplacement(G, N_TARGETS), (g) => g) : [];
  const targetStress = targets.map(() => [rng.uniform() * 1.5, rng.uniform() * 1.5, rng.uniform() * 1.5]);
  const targetSig = targets.map(() => {
    const genes = Array.from(rng.sampleWithoutReplacement(G, SIG_GENES), (g) => g);
    return { genes, lfc: genes.map(() => SIG_LFC * rng.normal()) };
  });
  const tfType = tfSymbols.map((_, i) => (['ESC', 'TF_NEURO', 'TF_EPI', 'TF_HEME'] as CellTypeKey[])[i % 4]);

  const indptr = new Int32Array(n + 1);
  let indices: Int32Array = new Int32Array(n * 64);
  let data: Float32Array = new Float32Array(n * 64);
  let nnz = 0;
  const logit = new Float64Array(G);
  const row = new Float64Array(G + M);
  const act = new Float64Array(P);
  const sigShift = new Float64Array(G);
  const obs = {
    type: new Array<string>(n), batch: new Array<string>(n), extra: new Array<string>(n), total: new Float64Array(n), mito: new Float64Array(n),
  };
  let fails = 0;
  for (let c = 0; c < n; c++) {
    // Cell type (TF atlas: from the TF the cell carries).
    let typeKey: CellTypeKey;
    let extra = '';
    let stress: number[] | undefined;
    let sig: { genes: number[]; lfc: number[] } | undefined;
    let kd = -1;
    // Per-batch mixes: the batch first, then the type from its mix.
    const b0 = spec.batchTypes ? rng.int(spec.batches.length) : -1;
    if (spec.kind === 'tf') {
      const t = rng.int(tfSymbols.length);
      typeKey = tfType[t];
      extra = `TFORF${String(t + 1).padStart(4, '0')}-${tfSymbols[t]}`;
    } else {
      const m = mixes[Math.max(0, b0)];
      let u = rng.uniform() * m.sum;
      let t = 0;
      while (t < m.w.length - 1 && u >= m.w[t]) u -= m.w[t++];
      typeKey = m.keys[t];
    }
    if (spec.kind === 'perturb') {
      if (rng.uniform() < 0.12) extra = 'non-targeting';
      else {
        const t = rng.int(targets.length);
        kd = targets[t];
        stress = targetStress[t];
        sig = targetSig[t];
        extra = uni.genes[kd].symbol;
      }
    }
    const b = b0 >= 0 ? b0 : rng.int(spec.batches.length);
    const type = CELL_TYPES[typeKey];
    act.fill(0);
    for (const [p, a] of Object.entries(type.programs)) act[PROGRAMS.indexOf(p as Program)] = a * Math.max(0, 1 + 0.3 * rng.normal());
    if (stress) for (let s = 0; s < 3; s++) act[PROGRAMS.indexOf(`STRESS${s + 1}` as Program)] *= stress[s];
    // Softmax over nuclear genes of base + programs + batch shift.
    if (sig) for (let i = 0; i < sig.genes.length; i++) sigShift[sig.genes[i]] = sig.lfc[i];
    let mx = -Infinity;
    for (let g = 0; g < G; g++) {
      let v = uni.base[g] + batchShift[b][g];
      for (let p = 0; p < P; p++) if (act[p] !== 0) v += act[p] * uni.load[p * G + g];
      if (sig) v += sigShift[g];
      if (g === kd) v += Math.log(0.1);
      logit[g] = v;
      if (v > mx) mx = v;
    }
    if (sig) for (const g of sig.genes) sigShift[g] = 0;
    let z = 0;
    for (let g = 0; g < G; g++) z += logit[g] = Math.exp(logit[g] - mx);
    // Library size and mito fraction; ~5% low library, ~5% high mito.
    const r = rng.uniform();
    const fail = r < 0.1;
    if (fail) fails++;
    const lib = r < 0.05 ? 200 + 600 * rng.uniform() : Math.exp(Math.log(2500) + 0.35 * rng.normal());
    const mito = r >= 0.05 && r < 0.1 ? 0.15 + 0.2 * rng.uniform() : 0.02 + 0.015 * Math.abs(rng.normal());
    let mtZ = 0;
    for (let i = 0; i < M; i++) mtZ += Math.exp(uni.mtBase[i]);
    let total = 0;
    let mtTotal = 0;
    for (let g = 0; g < G + M; g++) {
      const mu = g < G ? (lib * (1 - mito) * logit[g]) / z : (lib * mito * Math.exp(uni.mtBase[g - G])) / mtZ;
      const th = uni.theta[g];
      const x = rng.poisson((mu * rng.gamma(th)) / th);
      row[g] = x;
    }
    // Row in file-column order (dropped genes absent), sorted indices.
    for (const g of keep) {
      const x = row[g];
      if (x === 0) continue;
      if (nnz === indices.length) {
        indices = grow(indices) as Int32Array;
        data = grow(data) as Float32Array;
      }
      indices[nnz] = colOf[g];
      data[nnz++] = x;
      total += x;
      if (g >= G) mtTotal += x;
    }
    indptr[c + 1] = nnz;
    obs.type[c] = type.name;
    obs.batch[c] = spec.batches[b];
    obs.extra[c] = extra;
    obs.total[c] = total;
    obs.mito[c] = total > 0 ? mtTotal / total : 0;
    if (onProgress && ((c + 1) % 1000 === 0 || c + 1 === n)) onProgress(spec.name, c + 1, n);
  }
  const X: Csr = { nRows: n, nCols: keep.length, indptr, indices: indices.slice(0, nnz), data: data.slice(0, nnz) };
  const adata: AnnData = {
    X,
    obs: makeObs(spec, n, obs, rng.fork('obs')),
    var: makeVar(spec, keep.map((g) => uni.genes[g])),
    layers: new Map(),
    obsm: new Map(),
    varm: new Map(),
    uns: { scmix_simulated: { source: spec.name, role: spec.role } },
  };
  return { adata, failRate: fails / n };
}

function grow(a: Int32Array | Float32Array): Int32Array | Float32Array {
  const b = new (a.constructor as Int32ArrayConstructor | Float32ArrayConstructor)(a.length * 2);
  b.set(a);
  return b;
}

function cat(values: string[]): Column {
  const categories = [...new Set(values)].sort();
  const at = new Map(categories.map((c, i) => [c, i]));
  return { kind: 'categorical', codes: Int32Array.from(values, (v) => at.get(v)!), categories, ordered: false };
}
const num = (values: Float64Array, dtype: 'float64' | 'int64' = 'float64'): Column => ({ kind: 'number', values, dtype });

function makeObs(spec: SourceSpec, n: number, o: { type: string[]; batch: string[]; extra: string[]; total: Float64Array; mito: Float64Array }, rng: Rng): Frame {
  const columns = new Map<string, Column>();
  const index = Array.from({ length: n }, (_, i) => `${spec.name}-${i}`);
  columns.set('cell_type', cat(o.type));
  if (spec.kind === 'sctab') {
    columns.set('dataset_id', cat(o.batch));
    columns.set('donor_id', cat(o.batch.map((b) => `${b}-donor${rng.int(3)}`)));
    // ~8% diseased cells, removed by the `disease == normal` filter.
    columns.set('disease', cat(Array.from({ length: n }, () => (rng.uniform() < 0.08 ? 'COVID-19' : 'normal'))));
    columns.set('assay', cat(new Array(n).fill("10x 3' v3")));
  } else if (spec.kind === 'cca') {
    columns.set('study', cat(o.batch));
    columns.set('sample', cat(o.batch.map((b) => `${b}_s${rng.int(4)}`)));
    columns.set('complexity', num(Float64Array.from(o.total, (t) => Math.round(t * 0.4))));
  } else if (spec.kind === 'perturb') {
    columns.set('gene', cat(o.extra));
    columns.set('gem_group', cat(o.batch));
    columns.set('UMI_count', num(Float64Array.from(o.total)));
    columns.set('mitopercent', num(Float64Array.from(o.mito)));
  } else if (spec.kind === 'tf') {
    columns.set('TF', cat(o.extra));
    columns.set('batch', cat(o.batch));
    columns.set('n_counts', num(Float64Array.from(o.total)));
    columns.set('percent_mito', num(Float64Array.from(o.mito)));
  } else {
    columns.set('supercluster_term', cat(o.type));
    columns.set('donor_id', cat(o.batch));
  }
  for (const [k, v] of Object.entries(spec.constants ?? {})) columns.set(k, cat(new Array(n).fill(v)));
  return { index, columns };
}

function makeVar(spec: SourceSpec, genes: { id: string; symbol: string }[]): Frame {
  const columns = new Map<string, Column>();
  switch (spec.geneStyle) {
    case 'sctab':
      columns.set('feature_id', { kind: 'string', values: genes.map((g) => g.id) });
      columns.set('feature_name', { kind: 'string', values: genes.map((g) => g.symbol) });
      return { index: genes.map((g) => g.id), columns };
    case 'symbols':
      return { index: genes.map((g) => g.symbol), columns };
    case 'tenx':
      columns.set('gene_name', { kind: 'string', values: genes.map((g) => g.symbol) });
      return { index: genes.map((g) => g.id), columns };
    case 'versioned':
      columns.set('Gene', { kind: 'string', values: genes.map((g) => g.symbol) });
      return { index: genes.map((g, i) => `${g.id}.${1 + (i % 3)}`), columns };
  }
}

/** GTEx-like .gct (v1.2): median TPM per gene x tissue; TFs get a Whole Blood z matching tfZ. */
function gtexTable(uni: Universe, tfZ: Record<string, number>, rng: Rng): string {
  const T = GTEX_TISSUES.length;
  const lines = ['#1.2', `${uni.genes.length}\t${T}`, ['Name', 'Description', ...GTEX_TISSUES].join('\t')];
  for (const g of uni.genes) {
    const vals = Array.from({ length: T }, () => Number(Math.exp(1 + rng.normal()).toFixed(3)));
    const z = tfZ[g.symbol];
    if (z !== undefined) {
      // Set Whole Blood so that its z across tissues equals z: solve on the other tissues' stats.
      const rest = vals.slice(1);
      const m = rest.reduce((a, b) => a + b, 0) / rest.length;
      const sd = Math.sqrt(rest.reduce((a, b) => a + (b - m) ** 2, 0) / rest.length) || 1;
      vals[0] = Number(Math.max(0, m + z * sd * 1.2).toFixed(3));
      // Record the z the study's rule will compute (pandas std, ddof = 1, over all tissues).
      const mAll = vals.reduce((a, b) => a + b, 0) / T;
      const sdAll = Math.sqrt(vals.reduce((a, b) => a + (b - mAll) ** 2, 0) / (T - 1));
      tfZ[g.symbol] = (vals[0] - mAll) / sdAll;
    }
    lines.push([g.id, g.symbol, ...vals.map((v) => v.toFixed(3))].join('\t'));
  }
  return lines.join('\n') + '\n';
}
