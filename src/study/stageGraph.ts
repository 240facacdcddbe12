/**
 * The stages of a study run and their keys: build (corpus x seed), evalset, train (model x
 * corpus x seed), eval (model x corpus x seed, over every evaluation set) and report. A job is
 * one (model, corpus, seed) cell of the grid: its build, train and eval stages plus the
 * evaluation sets they read. Jobs share nothing but read-only inputs, so an external scheduler
 * can run `scmix run study.yaml --job <id>` for each, then `--only stage=report`.
 */
import { join } from 'node:path';
import { SCMIX_VERSION } from '../version.js';
import { hashInput, type StudyPlan } from './planStudy.js';
import { corpusComponents, type ModelSpec } from './schema.js';
import { stageKey } from './stageCache.js';

export type StageKind = 'build' | 'evalset' | 'train' | 'eval' | 'report';
export const STAGE_KINDS: readonly StageKind[] = ['build', 'evalset', 'train', 'eval', 'report'];

export interface Stage {
  /** e.g. build/Blood/seed0, train/ldvae/Blood/seed0, evalset/AML, report */
  readonly id: string;
  readonly kind: StageKind;
  readonly key: string;
  readonly deps: readonly string[];
  /** folder holding the outputs and the stamp */
  readonly dir: string;
  readonly stampPath: string;
  readonly outputs: readonly string[];
  readonly corpus?: string;
  readonly seed?: number;
  readonly model?: string;
  readonly evalSet?: string;
}

export interface Job {
  /** <model>/<corpus>/seed<k> */
  readonly id: string;
  readonly model: string;
  readonly corpus: string;
  readonly seed: number;
  /** stage ids, in run order */
  readonly stages: readonly string[];
}

export interface StageGraph {
  readonly stages: ReadonlyMap<string, Stage>;
  readonly jobs: readonly Job[];
}

/**
 * Every stage of the study for `seeds` (default the study's). `modelConfigText` gives the
 * contents of a model's preset file (so editing the file invalidates the cache).
 */
export function stageGraph(plan: StudyPlan, runDir: string, opts: { seeds?: readonly number[]; modelConfigText?: (m: ModelSpec) => string } = {}): StageGraph {
  const c = plan.study.config;
  const seeds = opts.seeds ?? c.seeds;
  const stages = new Map<string, Stage>();
  const add = (s: Stage) => stages.set(s.id, s);
  const srcKey = (name: string) => {
    const s = c.sources[name];
    const from = s.genes.mapSymbolsFrom;
    // Sources this one reads through its rules (symbol map, overlap filters) are inputs too.
    const others = s.filters.flatMap((f) => (f.notInSource ? [f.notInSource.source] : []));
    return {
      spec: s,
      sha256: plan.sources.get(name)?.sha256 ?? null,
      mapFrom: from ? { spec: c.sources[from], sha256: plan.sources.get(from)?.sha256 ?? null } : null,
      excludes: others.map((o) => ({ source: o, sha256: plan.sources.get(o)?.sha256 ?? null })),
    };
  };
  const dictHashes = new Map<string, string>();
  const dictHash = (p: string) => {
    if (!dictHashes.has(p)) dictHashes.set(p, hashInput(plan.study.resolvePath(p)).sha256);
    return dictHashes.get(p)!;
  };
  const evalNames = Object.keys(c.evaluations);
  for (const ev of evalNames) {
    const dir = join(runDir, 'evalsets');
    add({
      id: `evalset/${ev}`,
      kind: 'evalset',
      key: stageKey({ v: SCMIX_VERSION, stage: 'evalset', name: ev, spec: c.evaluations[ev], source: srcKey(c.evaluations[ev].source) }),
      deps: [],
      dir,
      stampPath: join(dir, `.${ev}.stage`),
      outputs: [join(dir, `${ev}.h5ad`), join(dir, `${ev}.manifest.json`)],
      evalSet: ev,
    });
  }
  const jobs: Job[] = [];
  const evalIds: string[] = [];
  for (const corpus of Object.keys(c.corpora)) {
    if (!plan.genes.has(corpus)) continue;
    const comps = corpusComponents(c.corpora[corpus]);
    for (const seed of seeds) {
      const bdir = join(runDir, 'corpora', corpus, `seed${seed}`);
      const buildId = `build/${corpus}/seed${seed}`;
      const buildKey = stageKey({
        v: SCMIX_VERSION,
        stage: 'build',
        corpus,
        seed,
        components: comps.map((k) => ({ name: k, spec: c.components[k], source: srcKey(c.components[k].source) })),
        genes: stageKey(plan.genes.get(corpus)),
      });
      add({ id: buildId, kind: 'build', key: buildKey, deps: [], dir: bdir, stampPath: join(bdir, '.stage'), outputs: [join(bdir, 'corpus.h5ad'), join(bdir, 'manifest.json')], corpus, seed });
      for (const [model, spec] of Object.entries(c.models)) {
        const mdir = join(runDir, 'models', model, corpus, `seed${seed}`);
        const trainId = `train/${model}/${corpus}/seed${seed}`;
        const trainKey = stageKey({
          v: SCMIX_VERSION,
          stage: 'train',
          build: buildKey,
          model: spec,
          modelFile: spec.config ? opts.modelConfigText?.(spec) ?? null : null,
          // the dictionary files' contents (absent for LDVAE and computed dictionaries: keys unchanged)
          dictionaries: spec.dictionaries !== undefined ? dictHash(spec.dictionaries) : undefined,
          seed,
        });
        add({ id: trainId, kind: 'train', key: trainKey, deps: [buildId], dir: mdir, stampPath: join(mdir, '.stage'), outputs: [mdir], corpus, seed, model });
        const edir = join(runDir, 'evals', model, corpus, `seed${seed}`);
        const evalId = `eval/${model}/${corpus}/seed${seed}`;
        const evsetIds = evalNames.map((e) => `evalset/${e}`);
        add({
          id: evalId,
          kind: 'eval',
          key: stageKey({ v: SCMIX_VERSION, stage: 'eval', train: trainKey, evalsets: evsetIds.map((e) => stages.get(e)!.key), metrics: evalNames.map((e) => c.evaluations[e].metrics) }),
          deps: [trainId, ...evsetIds],
          dir: edir,
          stampPath: join(edir, '.stage'),
          outputs: evalNames.map((e) => join(edir, e, 'summary.json')),
          corpus,
          seed,
          model,
        });
        evalIds.push(evalId);
        jobs.push({ id: `${model}/${corpus}/seed${seed}`, model, corpus, seed, stages: [buildId, ...evsetIds, trainId, evalId] });
      }
    }
  }
  if (c.outputs.report) {
    const rdir = join(runDir, 'report');
    add({ id: 'report', kind: 'report', key: stageKey({ v: SCMIX_VERSION, stage: 'report', evals: evalIds.map((e) => stages.get(e)!.key) }), deps: evalIds, dir: rdir, stampPath: join(rdir, '.stage'), outputs: [join(rdir, 'report.html')] });
  }
  return { stages, jobs };
}
