/**
 * Preflight: open every source a study uses, apply its rules, and check every component (for
 * every seed), gene intersection and evaluation set, so that bad input fails in seconds with the
 * YAML line, never after hours of training. The plan keeps the sources open for the builder.
 */
import { createHash } from 'node:crypto';
import { closeSync, openSync, readFileSync, readSync, readdirSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { ScmixError } from '../errors.js';
import type { Frame } from '../io/index.js';
import { openCellSource, type CellSource } from './cellSource.js';
import { intersectGeneIds } from './geneSet.js';
import type { ParsedStudy } from './parseStudy.js';
import { availableCells, prepareSource, type PrepareContext, type PreparedSource } from './prepareSource.js';
import { corpusComponents } from './schema.js';
import { selectComponent, selectEvalCells } from './selectComponent.js';
import { ioRoom } from './rooms.js';

export interface PlannedSource {
  readonly cells: CellSource;
  readonly prepared: PreparedSource;
  /** sha256 of the file (or of the sorted files of a folder) */
  readonly sha256: string;
  readonly bytes: number;
}

export interface StudyPlan {
  readonly study: ParsedStudy;
  readonly sources: ReadonlyMap<string, PlannedSource>;
  /** corpus -> its gene ids (sorted) */
  readonly genes: ReadonlyMap<string, string[]>;
  close(): void;
}

export interface PlanOptions {
  /** open a source (default: the io room's readers); tests pass in-memory sources */
  openSource?: (name: string, path: string) => Promise<CellSource>;
  /** restrict checks to these corpora (default all) */
  corpora?: readonly string[];
  /** seeds to check (default the study's) */
  seeds?: readonly number[];
  /** progress per source: (source, cells done, cells) */
  onProgress?: (source: string, done: number, total: number) => void;
}

/** @throws CONFIG_INVALID, INPUT_MISSING, INPUT_FORMAT, NOT_ENOUGH_CELLS, GENES_MISMATCH. */
export async function planStudy(study: ParsedStudy, opts: PlanOptions = {}): Promise<StudyPlan> {
  const c = study.config;
  const corpora = opts.corpora ?? Object.keys(c.corpora);
  const seeds = opts.seeds ?? c.seeds;
  for (const name of corpora) if (!(name in c.corpora)) throw new ScmixError('CONFIG_INVALID', `unknown corpus "${name}"; corpora: ${Object.keys(c.corpora).join(', ')}`);
  const used = new Set<string>();
  for (const k of corpora) for (const comp of corpusComponents(c.corpora[k])) used.add(c.components[comp].source);
  // A study-wide gene set needs every component's source, whichever corpora are selected.
  if (c.genes === 'study') for (const comp of Object.values(c.components)) used.add(comp.source);
  for (const ev of Object.values(c.evaluations)) used.add(ev.source);
  // Sources read by other sources' rules get hashed too (they are part of the stage keys).
  for (const s of [...used]) {
    for (const f of c.sources[s].filters) if (f.notInSource) used.add(f.notInSource.source);
    const from = c.sources[s].genes.mapSymbolsFrom;
    if (from) used.add(from);
  }
  const open =
    opts.openSource ??
    ((name: string, path: string) => {
      const csv = c.sources[name].obsCsv;
      return openCellSource(path, c.sources[name].format, csv !== undefined ? { obsCsv: study.resolvePath(csv) } : {});
    });
  const opened = new Map<string, CellSource>();
  const sources = new Map<string, PlannedSource>();
  const closeAll = () => opened.forEach((s) => s.close());
  const openOnce = async (name: string) => {
    if (!opened.has(name)) opened.set(name, await open(name, study.resolvePath(c.sources[name].path)));
    return opened.get(name)!;
  };
  try {
    const ctx: PrepareContext = {
      varOf: async (name: string): Promise<Frame> => (await openOnce(name)).var,
      obsOf: async (name: string): Promise<Frame> => (await openOnce(name)).obs,
      readText: (p) => readFileSync(p, 'utf8'),
      readGct: async (p) => (await ioRoom()).readGct(p),
    };
    for (const name of [...used].sort()) {
      const cells = await openOnce(name);
      const prepared = await prepareSource(study, name, cells, { ...ctx, onProgress: (d, t) => opts.onProgress?.(name, d, t) });
      let { sha256, bytes } = hashInput(study.resolvePath(c.sources[name].path));
      const csv = c.sources[name].obsCsv;
      // The metadata table is part of the input: fold its hash in.
      if (csv !== undefined) sha256 = createHash('sha256').update(sha256 + hashInput(study.resolvePath(csv)).sha256).digest('hex');
      sources.set(name, { cells, prepared, sha256, bytes });
    }
    // Every component for every seed, so a too-large size fails now.
    for (const k of corpora)
      for (const comp of corpusComponents(c.corpora[k])) {
        const src = c.components[comp].source;
        for (const seed of seeds) selectComponent(study, comp, availableCells(sources.get(src)!.prepared, c.sources[src], seed), seed);
      }
    for (const [name, ev] of Object.entries(c.evaluations)) {
      const avail = sources.get(ev.source)!.prepared.passing;
      if (ev.size !== 'all' && ev.size > avail.length)
        throw new ScmixError('NOT_ENOUGH_CELLS', `${study.locate(['evaluations', name, 'size'])}: evaluation "${name}" asks for ${ev.size} cells but only ${avail.length} cells of source "${ev.source}" pass filters and QC`, { hint: `lower size to at most ${avail.length}, or use size: all` });
    }
    const genes = new Map<string, string[]>();
    const studyWide = c.genes === 'study' ? intersectGeneIds([...new Set(Object.values(c.components).map((x) => x.source))].sort().map((s) => sources.get(s)!.prepared)) : null;
    for (const k of Object.keys(c.corpora)) {
      if (!corpora.includes(k)) continue;
      const srcs = [...new Set(corpusComponents(c.corpora[k]).map((comp) => c.components[comp].source))];
      const g = studyWide ?? intersectGeneIds(srcs.map((s) => sources.get(s)!.prepared));
      if (g.length === 0) {
        const sizes = srcs.map((s) => `${s}: ${sources.get(s)!.prepared.geneIds.filter((x) => x !== null).length}`).join(', ');
        throw new ScmixError('GENES_MISMATCH', `${study.locate(['corpora', k])}: the gene intersection of corpus "${k}" is empty (mapped genes per source: ${sizes})`, {
          hint: 'check each source\'s genes.ids / genes.symbols + mapping: they must produce the same kind of id (e.g. Ensembl without version)',
        });
      }
      genes.set(k, g);
    }
    return { study, sources, genes, close: closeAll };
  } catch (err) {
    closeAll();
    throw err;
  }
}

/** sha256 and size of a file, or of a folder's files (sorted relative paths + contents). */
export function hashInput(path: string): { sha256: string; bytes: number } {
  const h = createHash('sha256');
  let bytes = 0;
  const addFile = (p: string) => {
    const fd = openSync(p, 'r');
    try {
      const buf = Buffer.allocUnsafe(1 << 20);
      for (;;) {
        const n = readSync(fd, buf, 0, buf.length, null);
        if (n === 0) break;
        h.update(buf.subarray(0, n));
        bytes += n;
      }
    } finally {
      closeSync(fd);
    }
  };
  if (statSync(path).isDirectory()) {
    const files: string[] = [];
    const walk = (d: string) => {
      for (const e of readdirSync(d).sort()) {
        const p = join(d, e);
        if (statSync(p).isDirectory()) walk(p);
        else files.push(p);
      }
    };
    walk(path);
    for (const f of files) {
      h.update(relative(path, f) + '\0');
      addFile(f);
    }
  } else addFile(path);
  return { sha256: h.digest('hex'), bytes };
}
