import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { readPerCell } from './readPerCell.js';
import { seedAgreement, type SeedAgreement } from './seedAgreement.js';
import { log2FoldChange } from './summarizeValues.js';
import type { EvalSummaryJson } from './writeEvaluation.js';

export interface GridCell extends EvalSummaryJson {
  /** log2(median_r2 / baseline median_r2), same model kind, seed and eval set; null when undefined */
  log2fc_median_r2: number | null;
  /** folder holding percell.csv and the other outputs */
  dir: string;
}

export interface GridSummary {
  runDir: string;
  baseline: string | null;
  modelKinds: string[];
  corpora: string[];
  evalSets: string[];
  seeds: number[];
  /** eval-set group (Non-disease / Cancer / OOD) per eval set */
  evalSetGroups: Record<string, string>;
  /** corpus group (Baseline / Single source / Blood + X) per corpus */
  corpusGroups: Record<string, string>;
  cells: GridCell[];
  seedAgreement: (SeedAgreement & { model: string; corpus: string; evalSet: string; seedA: number; seedB: number })[];
  /** summary.json files that could not be read (partial grids are normal while a run is going) */
  skipped: string[];
}

const isDir = (p: string) => existsSync(p) && statSync(p).isDirectory();
const ls = (p: string) => (isDir(p) ? readdirSync(p).sort() : []);

/** Study config hints: baseline, corpus and eval-set order and groups (all optional). */
function readStudyHints(runDir: string): { baseline?: string; corpora?: string[]; evalSets?: string[]; groups: Record<string, string>; cgroups: Record<string, string>; components: Record<string, string[]> } {
  const components: Record<string, string[]> = {};
  const p = join(runDir, 'study.resolved.json');
  const groups: Record<string, string> = {};
  const cgroups: Record<string, string> = {};
  if (!existsSync(p)) return { groups, cgroups, components };
  let j: Record<string, unknown>;
  try {
    j = JSON.parse(readFileSync(p, 'utf8')) as Record<string, unknown>;
  } catch {
    return { groups, cgroups, components };
  }
  const names = (v: unknown, g: Record<string, string>): string[] | undefined => {
    if (Array.isArray(v)) {
      return v.map((e) => {
        if (typeof e === 'string') return e;
        const o = e as Record<string, unknown>;
        const n = String(o.name ?? o.id ?? '');
        if (typeof o.group === 'string') g[n] = o.group;
        return n;
      });
    }
    if (v && typeof v === 'object') {
      for (const [n, o] of Object.entries(v as Record<string, unknown>)) if (o && typeof (o as { group?: unknown }).group === 'string') g[n] = (o as { group: string }).group;
      return Object.keys(v);
    }
    return undefined;
  };
  const cfg = (j.config && typeof j.config === 'object' ? j.config : j) as Record<string, unknown>;
  const baseline = typeof cfg.baseline === 'string' ? cfg.baseline : undefined;
  const corpora = names(cfg.corpora, cgroups);
  // study schema: corpora are lists of components (or {components}); mixtures have > 1
  if (cfg.corpora && typeof cfg.corpora === 'object' && !Array.isArray(cfg.corpora)) {
    for (const [n, c] of Object.entries(cfg.corpora as Record<string, unknown>)) {
      const comps = Array.isArray(c) ? c : (c as { components?: unknown })?.components;
      if (Array.isArray(comps)) components[n] = comps.map(String);
    }
  }
  return { baseline, corpora, evalSets: names(cfg.evaluations ?? cfg.evalSets, groups), groups, cgroups, components };
}

/** Default eval-set group from its name, for runs whose config gives none (Fig 1C grouping). */
export function guessEvalGroup(name: string): string {
  const s = name.toLowerCase();
  if (/(cancer|aml|scc|tumou?r|malignan|lymphoma|carcinoma|leuk)/.test(s)) return 'Cancer';
  if (/(neuron|brain|^ood|out.?of)/.test(s)) return 'OOD';
  if (/(blood|marrow|bm|pbmc|normal|healthy)/.test(s)) return 'Non-disease';
  return 'OOD';
}

/** Default corpus group: the baseline, mixtures (a '+' in the name), or single sources. */
export function guessCorpusGroup(name: string, baseline: string | null): string {
  if (name === baseline) return 'Baseline';
  return /\+|plus|_and_|Add/i.test(name) ? 'Baseline + X' : 'Single source';
}

/**
 * Collect every evals/<kind>/<corpus>/seed<k>/<evalset>/summary.json of a run directory, add the
 * log2 fold change of the median r2 against the baseline corpus, and compare per-cell r2 between
 * seed pairs (the lowest seed against each other seed). Works on partial grids: missing cells are
 * simply absent, unreadable files are listed in `skipped`.
 */
export function summarizeGrid(runDir: string, opts: { baseline?: string } = {}): GridSummary {
  const hints = readStudyHints(runDir);
  const cells: GridCell[] = [];
  const skipped: string[] = [];
  const evalsDir = join(runDir, 'evals');
  for (const kind of ls(evalsDir)) {
    for (const corpus of ls(join(evalsDir, kind))) {
      for (const sd of ls(join(evalsDir, kind, corpus))) {
        if (!/^seed\d+$/.test(sd)) continue;
        for (const es of ls(join(evalsDir, kind, corpus, sd))) {
          const dir = join(evalsDir, kind, corpus, sd, es);
          const f = join(dir, 'summary.json');
          if (!existsSync(f)) continue;
          try {
            const s = JSON.parse(readFileSync(f, 'utf8')) as EvalSummaryJson;
            cells.push({ ...s, model: s.model ?? kind, corpus: s.corpus ?? corpus, seed: s.seed ?? Number(sd.slice(4)), evalSet: s.evalSet ?? es, log2fc_median_r2: null, dir });
          } catch {
            skipped.push(f);
          }
        }
      }
    }
  }
  const found = [...new Set(cells.map((c) => c.corpus))];
  const order = (pref: string[] | undefined, have: string[]) => [...(pref ?? []).filter((x) => have.includes(x)), ...have.filter((x) => !(pref ?? []).includes(x)).sort()];
  const corpora = order(hints.corpora, found);
  // baseline: explicit option > study config `baseline` > a corpus named *base* > the first corpus of the study
  const baseline = opts.baseline ?? hints.baseline ?? (corpora.find((c) => /base/i.test(c)) || corpora[0]) ?? null;
  const corporaOrdered = baseline && corpora.includes(baseline) ? [baseline, ...corpora.filter((c) => c !== baseline)] : corpora;
  const evalSets = order(hints.evalSets, [...new Set(cells.map((c) => c.evalSet))]);
  const key = (c: { model: string; seed: number; evalSet: string; corpus: string }) => `${c.model}\u0000${c.seed}\u0000${c.evalSet}\u0000${c.corpus}`;
  const byKey = new Map(cells.map((c) => [key(c), c]));
  for (const c of cells) {
    const b = baseline ? byKey.get(key({ ...c, corpus: baseline })) : undefined;
    const v = b && c.median_r2 !== null && b.median_r2 !== null ? log2FoldChange(c.median_r2, b.median_r2) : NaN;
    c.log2fc_median_r2 = Number.isFinite(v) ? v : null;
  }
  const evalSetGroups: Record<string, string> = {};
  for (const e of evalSets) evalSetGroups[e] = hints.groups[e] ?? guessEvalGroup(e);
  const corpusGroups: Record<string, string> = {};
  // a corpus holding every component of the baseline plus others is "baseline + X" (SuppFig1A right block)
  const baseComps = baseline ? hints.components[baseline] : undefined;
  for (const c of corporaOrdered) {
    const comps = hints.components[c];
    let grp = hints.cgroups[c];
    if (!grp && c === baseline) grp = 'Baseline';
    if (!grp && comps && baseComps) grp = baseComps.every((b) => comps.includes(b)) && comps.length > baseComps.length ? `${baseline} + X` : 'Single source';
    corpusGroups[c] = grp ?? guessCorpusGroup(c, baseline);
  }

  // display order (SuppFig1A): baseline, then single sources, then baseline + X, study order within each
  const rank = (c: string) => (corpusGroups[c] === 'Baseline' ? 0 : corpusGroups[c] === 'Single source' ? 1 : 2);
  const corporaDisplay = [...corporaOrdered].sort((a, b) => rank(a) - rank(b) || corporaOrdered.indexOf(a) - corporaOrdered.indexOf(b));
  const seeds = [...new Set(cells.map((c) => c.seed))].sort((a, b) => a - b);
  const agreement: GridSummary['seedAgreement'] = [];
  if (seeds.length > 1) {
    const s0 = seeds[0]!;
    for (const c of cells) {
      if (c.seed === s0) continue;
      const a = byKey.get(key({ ...c, seed: s0 }));
      if (!a) continue;
      try {
        const pa = readPerCell(join(a.dir, 'percell.csv'));
        const pb = readPerCell(join(c.dir, 'percell.csv'));
        agreement.push({ model: c.model, corpus: c.corpus, evalSet: c.evalSet, seedA: s0, seedB: c.seed, ...seedAgreement(pa, pb) });
      } catch {
        skipped.push(join(c.dir, 'percell.csv'));
      }
    }
  }
  return {
    runDir,
    baseline,
    modelKinds: [...new Set(cells.map((c) => c.model))].sort(),
    corpora: corporaDisplay,
    evalSets,
    seeds,
    evalSetGroups,
    corpusGroups,
    cells,
    seedAgreement: agreement,
    skipped,
  };
}
