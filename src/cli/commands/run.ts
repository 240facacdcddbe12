import type { Command } from 'commander';
import { readFileSync } from 'node:fs';
import { ScmixError } from '../../errors.js';
import {
  defaultStages,
  isStageDone,
  loadStudy,
  modelConfigPath,
  prepareRun,
  runStudy,
  STAGE_KINDS,
  type ParsedStudy,
  type RunEvent,
  type RunOptions,
  type StageGraph,
  type StageKind,
} from '../../study/index.js';
import { createProgress, formatDuration, type Progress } from '../progress.js';

export interface RunFlags {
  seeds?: string;
  only?: string;
  out?: string;
  threads?: string;
  job?: string;
  listJobs?: boolean;
  json?: boolean;
  dataDir?: string;
}

/** `--only corpus=A,B,stage=train,model=ldvae` -> { corpus: [A, B], stage: [train], model: [ldvae] } */
export function parseOnly(s: string | undefined): RunOptions['only'] {
  if (!s) return undefined;
  const out: Record<string, string[]> = {};
  let key: string | undefined;
  for (const tok of s.split(',').map((t) => t.trim()).filter(Boolean)) {
    const eq = tok.indexOf('=');
    if (eq >= 0) {
      key = tok.slice(0, eq);
      if (!['corpus', 'stage', 'model'].includes(key)) throw new ScmixError('CONFIG_INVALID', `--only: unknown key "${key}"; accepted: corpus, stage, model`);
      (out[key] ??= []).push(tok.slice(eq + 1));
    } else if (key) out[key].push(tok);
    else throw new ScmixError('CONFIG_INVALID', `--only: expected key=value (corpus=..., stage=..., model=...), got "${tok}"`);
  }
  for (const st of out.stage ?? []) if (!STAGE_KINDS.includes(st as StageKind)) throw new ScmixError('CONFIG_INVALID', `--only stage=${st}: unknown stage; accepted: ${STAGE_KINDS.join(', ')}`);
  return { corpus: out.corpus, stage: out.stage as StageKind[] | undefined, model: out.model };
}

export function parseSeeds(s: string | undefined): number[] | undefined {
  if (s === undefined) return undefined;
  const seeds = s.split(',').map((x) => x.trim()).filter(Boolean).map(Number);
  if (seeds.length === 0 || seeds.some((x) => !Number.isInteger(x) || x < 0)) throw new ScmixError('CONFIG_INVALID', `--seeds must be comma-separated non-negative integers, got "${s}"`);
  return seeds;
}

export function parseThreads(s: string | undefined): number | undefined {
  if (s === undefined) return undefined;
  const n = Number(s);
  if (!Number.isInteger(n) || n < 1) throw new ScmixError('CONFIG_INVALID', `--threads must be a positive integer, got "${s}"`);
  return n;
}

/** Renders runner events: one line per stage, a bar per long step, grid counts; or JSON lines. */
export function eventRenderer(json: boolean): (e: RunEvent) => void {
  let bar: Progress | undefined;
  let barFor = '';
  return (e) => {
    if (json) {
      if (e.type === 'planned') {
        process.stdout.write(JSON.stringify({ event: 'planned', stages: e.stages, selected: e.selected, jobs: e.jobs, runDir: e.runDir }) + '\n');
        return;
      }
      const { stage, ...rest } = e as RunEvent & { stage?: { id: string } };
      const o: Record<string, unknown> = { event: e.type, ...(stage ? { stage: stage.id } : {}), ...rest };
      if ('error' in o) o.error = (o.error as Error)?.message ?? String(o.error);
      process.stdout.write(JSON.stringify(o) + '\n');
      return;
    }
    if (e.type === 'planned') process.stderr.write(`${gridView(e.graph, e.runDir)}\nscmix run: ${e.selected} of ${e.stages} stages selected (${e.jobs} jobs)\n`);
    else if (e.type === 'stage-start') process.stderr.write(`[${e.index + 1}/${e.of}] ${e.stage.id} ...\n`);
    else if (e.type === 'stage-progress') {
      if (barFor !== e.stage.id) {
        bar = createProgress({ label: `  ${e.stage.kind}`, total: e.total, unit: e.unit });
        barFor = e.stage.id;
      }
      bar!.update(e.done, e.extra);
    } else if (e.type === 'stage-done') {
      if (bar && barFor === e.stage.id) bar.finish();
      bar = undefined;
      barFor = '';
      process.stderr.write(`[${e.index + 1}/${e.of}] ${e.stage.id} ${e.cached ? 'cached' : `done in ${formatDuration(e.seconds)}`}\n`);
    } else if (e.type === 'stage-failed') process.stderr.write(`  ${e.stage.id} failed\n`);
  };
}

/** The grid: one row per corpus, one column per model/seed; letters = stages done (B T E). */
export function gridView(graph: StageGraph, runDir: string): string {
  const done = (id: string) => {
    const s = graph.stages.get(id);
    return s ? isStageDone(runDir, s.key, s.stampPath, s.outputs) : false;
  };
  const cols = [...new Set(graph.jobs.map((j) => `${j.model}/seed${j.seed}`))];
  const rows = [...new Set(graph.jobs.map((j) => j.corpus))];
  const w = Math.max(6, ...rows.map((r) => r.length));
  const lines = [`${'corpus'.padEnd(w)}  ${cols.map((c) => c.padEnd(12)).join(' ')}`];
  let nDone = 0;
  for (const r of rows) {
    const cells = cols.map((c) => {
      const j = graph.jobs.find((x) => x.corpus === r && `${x.model}/seed${x.seed}` === c);
      if (!j) return ''.padEnd(12);
      const [b, t, e] = [`build/${r}/seed${j.seed}`, `train/${j.model}/${r}/seed${j.seed}`, `eval/${j.model}/${r}/seed${j.seed}`].map(done);
      if (b && t && e) nDone++;
      return `${b ? 'B' : '.'}${t ? 'T' : '.'}${e ? 'E' : '.'}`.padEnd(12);
    });
    lines.push(`${r.padEnd(w)}  ${cells.join(' ')}`);
  }
  const rep = graph.stages.get('report');
  lines.push(`${nDone}/${graph.jobs.length} jobs complete; report ${rep && done('report') ? 'written' : 'pending'}  (B=built T=trained E=evaluated)`);
  return lines.join('\n');
}

export function studyFrom(path: string, flags: { dataDir?: string }): ParsedStudy {
  return loadStudy(path, { baseDir: flags.dataDir });
}

export async function runCommand(path: string, flags: RunFlags): Promise<void> {
  const study = studyFrom(path, flags);
  const base: Omit<RunOptions, 'impls'> = {
    outDir: flags.out,
    seeds: parseSeeds(flags.seeds),
    only: parseOnly(flags.only),
    job: flags.job,
    threads: parseThreads(flags.threads),
    modelConfigText: (m) => {
      const p = modelConfigPath(study, m);
      return p ? readFileSync(p, 'utf8') : '';
    },
  };
  if (flags.listJobs) {
    const { graph, runDir, plan } = await prepareRun(study, base);
    plan.close();
    if (flags.json) {
      for (const j of graph.jobs) {
        const doneStages = j.stages.filter((id) => {
          const s = graph.stages.get(id)!;
          return isStageDone(runDir, s.key, s.stampPath, s.outputs);
        });
        process.stdout.write(JSON.stringify({ job: j.id, model: j.model, corpus: j.corpus, seed: j.seed, stages: j.stages, done: doneStages.length === j.stages.length, command: `scmix run ${path} --job ${j.id}${flags.out ? ` --out ${flags.out}` : ''}` }) + '\n');
      }
      process.stdout.write(JSON.stringify({ job: 'report', after: graph.jobs.map((j) => j.id) }) + '\n');
    } else {
      for (const j of graph.jobs) process.stdout.write(`${j.id}\n`);
      process.stdout.write('report\n');
    }
    return;
  }
  const res = await runStudy(study, { ...base, impls: defaultStages(study), onEvent: eventRenderer(Boolean(flags.json)) });
  if (!flags.json) {
    process.stderr.write(gridView(res.graph, res.runDir) + '\n');
    process.stderr.write(`run directory: ${res.runDir} (${res.ran.length} stages run, ${res.cached.length} cached)\n`);
  } else process.stdout.write(JSON.stringify({ event: 'finished', runDir: res.runDir, ran: res.ran.length, cached: res.cached.length }) + '\n');
}

export function register(program: Command): void {
  program
    .command('run')
    .description('run a whole study: build -> train -> evaluate -> report, cached and resumable')
    .argument('<study>', 'study.yaml')
    .option('--seeds <list>', 'comma-separated seeds (default: the study\'s seeds)')
    .option('--only <filters>', 'restrict: corpus=A,B  stage=build|evalset|train|eval|report  model=NAME (comma-separated, e.g. corpus=Blood,stage=train)')
    .option('--out <dir>', 'run directory (default: outputs.dir of the study)')
    .option('--threads <n>', 'compute threads for training (default 1: the multi-threaded pool can hang, see docs/notes/study.md)')
    .option('--job <id>', 'run one job <model>/<corpus>/seed<k> (see --list-jobs), or "report"')
    .option('--list-jobs', 'list the independent jobs (with --json: one JSON object per line, with the command to run it)')
    .option('--data-dir <dir>', 'resolve the study\'s relative paths against this folder instead of the study file\'s')
    .option('--json', 'machine-readable JSON lines on stdout')
    .action(async (path: string, flags: RunFlags) => runCommand(path, flags));
}
