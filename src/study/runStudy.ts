/**
 * `scmix run`: plan (all input checks), then build -> evalsets -> train -> eval -> report, each
 * stage skipped when its content-addressed record says it is done. Stage work is injected
 * (StageImpls) so the runner's caching, selection and resume logic is tested with small fakes and
 * the real rooms plug in through defaultStages.ts.
 */
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { ScmixError } from '../errors.js';
import { writeFileAtomic } from '../io/atomic.js';
import type { CellSource } from './cellSource.js';
import type { ParsedStudy } from './parseStudy.js';
import { planStudy, type StudyPlan } from './planStudy.js';
import type { ModelSpec } from './schema.js';
import { clearStamp, isStageDone, markStageDone } from './stageCache.js';
import { stageGraph, type Stage, type StageGraph, type StageKind, STAGE_KINDS } from './stageGraph.js';

/** Progress of one stage: units done of total (unit: cells, epochs, ...). */
export type StageProgress = (done: number, total: number, unit: string, extra?: Record<string, string | number>) => void;

export interface StageArgs {
  readonly plan: StudyPlan;
  readonly stage: Stage;
  readonly runDir: string;
  readonly threads?: number;
  readonly onProgress: StageProgress;
}

/** The work of each stage kind. Each must write its outputs atomically under stage.dir. */
export interface StageImpls {
  build(a: StageArgs): Promise<void>;
  evalset(a: StageArgs): Promise<void>;
  train(a: StageArgs & { modelSpec: ModelSpec }): Promise<void>;
  evaluate(a: StageArgs & { modelSpec: ModelSpec }): Promise<void>;
  report(a: StageArgs): Promise<void>;
}

export type RunEvent =
  | { type: 'planned'; stages: number; selected: number; jobs: number; graph: StageGraph; runDir: string }
  | { type: 'stage-start'; stage: Stage; index: number; of: number }
  | { type: 'stage-progress'; stage: Stage; done: number; total: number; unit: string; extra?: Record<string, string | number> }
  | { type: 'stage-done'; stage: Stage; cached: boolean; seconds: number; index: number; of: number }
  | { type: 'stage-failed'; stage: Stage; error: unknown };

export interface RunOptions {
  /** run directory (default: the study's outputs.dir, relative to the study file) */
  outDir?: string;
  seeds?: readonly number[];
  only?: { corpus?: readonly string[]; stage?: readonly StageKind[]; model?: readonly string[] };
  /** run only this job (<model>/<corpus>/seed<k>) or 'report' */
  job?: string;
  threads?: number;
  impls: StageImpls;
  openSource?: (name: string, path: string) => Promise<CellSource>;
  modelConfigText?: (m: ModelSpec) => string;
  onEvent?: (e: RunEvent) => void;
  onPlanProgress?: (source: string, done: number, total: number) => void;
}

export interface RunResult {
  runDir: string;
  ran: string[];
  cached: string[];
  graph: StageGraph;
}

/** Plan a study and lay out its stages (no stage runs): `--list-jobs` and the runner share it. */
export async function prepareRun(study: ParsedStudy, opts: Omit<RunOptions, 'impls'>): Promise<{ plan: StudyPlan; graph: StageGraph; runDir: string }> {
  const c = study.config;
  for (const s of opts.only?.stage ?? []) if (!STAGE_KINDS.includes(s)) throw new ScmixError('CONFIG_INVALID', `unknown stage "${s}"; stages: ${STAGE_KINDS.join(', ')}`);
  for (const m of opts.only?.model ?? []) if (!(m in c.models)) throw new ScmixError('CONFIG_INVALID', `unknown model "${m}"; models: ${Object.keys(c.models).join(', ')}`);
  for (const s of opts.seeds ?? []) if (!Number.isInteger(s) || s < 0) throw new ScmixError('CONFIG_INVALID', `seeds must be non-negative integers, got ${s}`);
  const runDir = opts.outDir ?? study.resolvePath(c.outputs.dir);
  const plan = await planStudy(study, { corpora: opts.only?.corpus, seeds: opts.seeds, openSource: opts.openSource, onProgress: opts.onPlanProgress });
  return { plan, graph: stageGraph(plan, runDir, { seeds: opts.seeds, modelConfigText: opts.modelConfigText }), runDir };
}

/**
 * Run (or resume) a study. Stages already done are skipped; a failing stage leaves no record, so
 * the next run redoes exactly it and what follows.
 * @throws whatever planning or a stage throws (planning errors come before any stage runs).
 */
export async function runStudy(study: ParsedStudy, opts: RunOptions): Promise<RunResult> {
  const { plan, graph, runDir } = await prepareRun(study, opts);
  try {
    mkdirSync(runDir, { recursive: true });
    writeFileAtomic(join(runDir, 'study.resolved.json'), JSON.stringify(study.config, null, 2) + '\n');
    const selected = selectStages(graph, opts);
    opts.onEvent?.({ type: 'planned', stages: graph.stages.size, selected: selected.length, jobs: graph.jobs.length, graph, runDir });
    const ran: string[] = [];
    const cached: string[] = [];
    const isDone = (s: Stage) => isStageDone(runDir, s.key, s.stampPath, s.outputs);
    const selectedIds = new Set(selected.map((s) => s.id));
    for (let i = 0; i < selected.length; i++) {
      const stage = selected[i];
      for (const d of stage.deps) {
        if (!selectedIds.has(d) && !isDone(graph.stages.get(d)!))
          throw new ScmixError('INPUT_MISSING', `stage ${stage.id} needs ${d}, which has not run (or is out of date) in ${runDir}`, { hint: 'run it first, or drop the --only/--job restriction' });
      }
      if (isDone(stage)) {
        cached.push(stage.id);
        opts.onEvent?.({ type: 'stage-done', stage, cached: true, seconds: 0, index: i, of: selected.length });
        continue;
      }
      opts.onEvent?.({ type: 'stage-start', stage, index: i, of: selected.length });
      clearStamp(stage.stampPath);
      mkdirSync(stage.dir, { recursive: true });
      const t0 = Date.now();
      const args: StageArgs = {
        plan,
        stage,
        runDir,
        threads: opts.threads,
        onProgress: (done, total, unit, extra) => opts.onEvent?.({ type: 'stage-progress', stage, done, total, unit, extra }),
      };
      try {
        const modelSpec = stage.model ? study.config.models[stage.model] : undefined;
        if (stage.kind === 'build') await opts.impls.build(args);
        else if (stage.kind === 'evalset') await opts.impls.evalset(args);
        else if (stage.kind === 'train') await opts.impls.train({ ...args, modelSpec: modelSpec! });
        else if (stage.kind === 'eval') await opts.impls.evaluate({ ...args, modelSpec: modelSpec! });
        else await opts.impls.report(args);
      } catch (err) {
        opts.onEvent?.({ type: 'stage-failed', stage, error: err });
        throw err;
      }
      const seconds = (Date.now() - t0) / 1000;
      markStageDone(runDir, { id: stage.id, key: stage.key, outputs: [...stage.outputs], seconds }, stage.stampPath);
      ran.push(stage.id);
      opts.onEvent?.({ type: 'stage-done', stage, cached: false, seconds, index: i, of: selected.length });
    }
    return { runDir, ran, cached, graph };
  } finally {
    plan.close();
  }
}

/** Stages selected by --job / --only, in dependency order. */
export function selectStages(graph: StageGraph, opts: Pick<RunOptions, 'job' | 'only'>): Stage[] {
  const all = [...graph.stages.values()];
  if (opts.job !== undefined) {
    if (opts.job === 'report') return all.filter((s) => s.kind === 'report');
    const job = graph.jobs.find((j) => j.id === opts.job);
    if (!job) {
      const ids = graph.jobs.map((j) => j.id);
      throw new ScmixError('CONFIG_INVALID', `unknown job "${opts.job}"; jobs: ${ids.slice(0, 12).join(', ')}${ids.length > 12 ? `, ... (${ids.length} in all; see --list-jobs)` : ''}, report`);
    }
    return job.stages.map((id) => graph.stages.get(id)!);
  }
  const kinds = opts.only?.stage;
  const models = opts.only?.model;
  const byCorpus = opts.only?.corpus !== undefined;
  return all.filter((s) => {
    if (kinds && !kinds.includes(s.kind)) return false;
    if (models && s.model !== undefined && !models.includes(s.model)) return false;
    // With a corpus restriction the grid-wide report runs only when asked for by name.
    if (s.kind === 'report' && byCorpus && !kinds?.includes('report')) return false;
    return true;
  });
}
