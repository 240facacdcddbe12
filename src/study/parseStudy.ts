/**
 * Read a study.yaml into a validated, frozen StudyConfig. Every error names the file, the line
 * and the key path (e.g. `study.yaml:14 components.bm.source`) and lists the accepted values, so
 * a typo is fixed before any long work starts.
 */
import { existsSync, readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { LineCounter, parseDocument, isMap, isSeq, type Node } from 'yaml';
import type { z } from 'zod';
import { ScmixError } from '../errors.js';
import { StudyConfig, corpusComponents } from './schema.js';

/** A parsed study: the config plus where it came from, to point later errors at lines. */
export interface ParsedStudy {
  readonly config: StudyConfig;
  /** the study file (or '<inline>') */
  readonly file: string;
  /** folder relative paths are resolved against */
  readonly baseDir: string;
  /** `file:line key.path` for a key path in the YAML (falls back to the nearest existing parent) */
  locate(path: readonly (string | number)[]): string;
  /** absolute path of a path written in the study */
  resolvePath(p: string): string;
}

/** Parse study text. `file` is used in messages and `baseDir` resolves relative paths. */
export function parseStudyText(text: string, file = '<inline>', baseDir = process.cwd()): ParsedStudy {
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { lineCounter, prettyErrors: false });
  if (doc.errors.length > 0) {
    const e = doc.errors[0];
    const pos = lineCounter.linePos(e.pos[0]);
    throw new ScmixError('CONFIG_INVALID', `${file}:${pos.line}:${pos.col}: YAML syntax error: ${e.message.split('\n')[0]}`);
  }
  const locate = (path: readonly (string | number)[]): string => {
    for (let n = path.length; n >= 0; n--) {
      const node = nodeAt(doc.contents as Node | null, path.slice(0, n));
      if (node?.range) return `${file}:${lineCounter.linePos(node.range[0]).line} ${keyPath(path)}`;
    }
    return `${file} ${keyPath(path)}`;
  };
  const raw = doc.toJS() ?? {};
  const parsed = StudyConfig.safeParse(raw);
  if (!parsed.success) {
    const lines = parsed.error.issues.slice(0, 8).map((i) => {
      // An unknown key is reported at the key itself, not at its parent object.
      const keys = (i as { keys?: string[] }).keys;
      const path = [...(i.path as (string | number)[]), ...(i.code === 'unrecognized_keys' && keys?.length ? [keys[0]] : [])];
      return `  ${locate(path)}: ${describeIssue(i)}`;
    });
    throw new ScmixError('CONFIG_INVALID', `${file}: invalid study:\n${lines.join('\n')}`, {
      hint: 'see docs/notes/study.md for the study.yaml keys',
    });
  }
  const study: ParsedStudy = {
    config: deepFreeze(parsed.data),
    file,
    baseDir,
    locate,
    resolvePath: (p) => resolve(baseDir, p),
  };
  checkReferences(study);
  return study;
}

/**
 * Read and parse a study file; relative paths resolve against its folder, or against
 * `opts.baseDir` (e.g. `scmix run presets/demo.yaml --data-dir ./demo`).
 * @throws INPUT_MISSING, CONFIG_INVALID
 */
export function loadStudy(path: string, opts: { baseDir?: string } = {}): ParsedStudy {
  if (!existsSync(path)) throw new ScmixError('INPUT_MISSING', `study file not found: ${path}`);
  return parseStudyText(readFileSync(path, 'utf8'), path, opts.baseDir ? resolve(opts.baseDir) : dirname(resolve(path)));
}

/** Cross-references and files, checked without reading any data. */
function checkReferences(study: ParsedStudy): void {
  const { config: c, locate } = study;
  const fail = (path: (string | number)[], msg: string, hint?: string): never => {
    throw new ScmixError('CONFIG_INVALID', `${locate(path)}: ${msg}`, hint ? { hint } : {});
  };
  const sources = Object.keys(c.sources);
  const list = (names: string[]) => (names.length ? names.join(', ') : '(none)');
  for (const [name, src] of Object.entries(c.sources)) {
    src.filters.forEach((f, i) => {
      if (f.notInSource && !(f.notInSource.source in c.sources))
        fail(['sources', name, 'filters', i, 'notInSource', 'source'], `unknown source "${f.notInSource.source}"; defined sources: ${list(sources)}`);
    });
    const from = src.genes.mapSymbolsFrom;
    if (from !== undefined && !(from in c.sources)) fail(['sources', name, 'genes', 'mapSymbolsFrom'], `unknown source "${from}"; defined sources: ${list(sources)}`);
    if (from === name) fail(['sources', name, 'genes', 'mapSymbolsFrom'], 'a source cannot map its symbols through itself');
  }
  for (const [name, comp] of Object.entries(c.components)) {
    if (!(comp.source in c.sources)) fail(['components', name, 'source'], `unknown source "${comp.source}"; defined sources: ${list(sources)}`);
  }
  const components = Object.keys(c.components);
  for (const [name, corpus] of Object.entries(c.corpora)) {
    const comps = corpusComponents(corpus);
    comps.forEach((comp, i) => {
      const path = Array.isArray(corpus) ? ['corpora', name, i] : ['corpora', name, 'components', i];
      if (!(comp in c.components)) fail(path, `unknown component "${comp}"; defined components: ${list(components)}`);
    });
    const seen = new Set<string>();
    for (const comp of comps) {
      if (seen.has(comp)) fail(['corpora', name], `component "${comp}" is listed twice`);
      seen.add(comp);
    }
  }
  for (const [name, ev] of Object.entries(c.evaluations)) {
    if (!(ev.source in c.sources)) fail(['evaluations', name, 'source'], `unknown source "${ev.source}"; defined sources: ${list(sources)}`);
  }
  if (new Set(c.seeds).size !== c.seeds.length) fail(['seeds'], 'seeds must be distinct');
  for (const [name, m] of Object.entries(c.models)) {
    if (m.dictionaries === undefined) continue;
    if (m.kind !== 'geneformer') fail(['models', name, 'dictionaries'], `dictionaries apply to geneformer models only (this one is kind: ${m.kind})`);
    if (!existsSync(study.resolvePath(m.dictionaries))) fail(['models', name, 'dictionaries'], `folder not found: ${study.resolvePath(m.dictionaries)}`);
  }
  // Files: only those a run will read (unused sources are allowed to be missing).
  const used = new Set<string>([...Object.values(c.components).map((x) => x.source), ...Object.values(c.evaluations).map((x) => x.source)]);
  for (const s of [...used]) {
    const from = c.sources[s].genes.mapSymbolsFrom;
    if (from) used.add(from);
    for (const f of c.sources[s].filters) if (f.notInSource) used.add(f.notInSource.source);
  }
  for (const name of [...used].sort()) {
    const src = c.sources[name];
    const p = study.resolvePath(src.path);
    if (!existsSync(p)) fail(['sources', name, 'path'], `file not found: ${p}`, 'paths are relative to the study file; see docs/notes/study.md for where to download each input');
    if (src.obsCsv && !existsSync(study.resolvePath(src.obsCsv))) fail(['sources', name, 'obsCsv'], `file not found: ${study.resolvePath(src.obsCsv)}`);
    if (src.genes.mapFile && !existsSync(study.resolvePath(src.genes.mapFile))) fail(['sources', name, 'genes', 'mapFile'], `file not found: ${study.resolvePath(src.genes.mapFile)}`);
    if (src.tfFilter && !existsSync(study.resolvePath(src.tfFilter.gct))) fail(['sources', name, 'tfFilter', 'gct'], `file not found: ${study.resolvePath(src.tfFilter.gct)}`);
  }
}

function describeIssue(i: z.core.$ZodIssue): string {
  const anyI = i as unknown as { code: string; keys?: string[]; values?: unknown[]; expected?: string; message: string; errors?: z.core.$ZodIssue[][] };
  if (anyI.code === 'unrecognized_keys') return `unknown key${anyI.keys!.length > 1 ? 's' : ''} ${anyI.keys!.map((k) => `"${k}"`).join(', ')}`;
  if (anyI.code === 'invalid_value' && anyI.values) return `${i.message}; accepted values: ${anyI.values.map((v) => JSON.stringify(v)).join(', ')}`;
  if (anyI.code === 'invalid_union' && anyI.errors) {
    // Show the alternatives' first complaints so "accepted values" reach the user.
    const inner = anyI.errors.map((alt) => alt[0]).filter(Boolean).map((x) => describeIssue(x));
    return `${i.message}: ${[...new Set(inner)].join(' | ')}`;
  }
  return i.message;
}

function nodeAt(root: Node | null, path: readonly (string | number)[]): Node | null {
  let node: Node | null = root;
  let lastKey: Node | null = null;
  for (const key of path) {
    if (node && isMap(node)) {
      const pair = node.items.find((p) => (p.key as { value?: unknown } | null)?.value === key);
      if (!pair) return null;
      lastKey = pair.key as Node;
      node = (pair.value as Node | null) ?? lastKey;
    } else if (node && isSeq(node) && typeof key === 'number') {
      lastKey = null;
      node = (node.items[key] as Node | undefined) ?? null;
    } else return null;
  }
  // A collection value starts on the line below its key: point at the key the user wrote.
  return node && lastKey && (isMap(node) || isSeq(node)) ? lastKey : node;
}

function keyPath(path: readonly (string | number)[]): string {
  return path.map((p, i) => (typeof p === 'number' ? `[${p}]` : i === 0 ? p : `.${p}`)).join('') || '(top level)';
}

function deepFreeze<T>(o: T): T {
  if (o && typeof o === 'object' && !Object.isFrozen(o)) {
    Object.freeze(o);
    for (const v of Object.values(o as object)) deepFreeze(v);
  }
  return o;
}
