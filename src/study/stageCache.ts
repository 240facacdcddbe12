/**
 * Content-addressed stage cache in the run directory. A stage's key is the sha256 of everything
 * that determines its output (input file hashes, config, upstream keys, scmix version). A stage is
 * done when `.cache/<key>.json` exists AND its output folder's stamp holds the same key AND its
 * outputs exist: the stamp catches an output overwritten by a run with another config. The stamp
 * is removed before a stage starts and both are written only after it finished, so a stage killed
 * midway is never mistaken for done.
 */
import { createHash } from 'node:crypto';
import { existsSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { writeFileAtomic } from '../io/atomic.js';

/** sha256 of a canonical JSON encoding (object keys sorted). */
export function stageKey(parts: unknown): string {
  return createHash('sha256').update(canonicalJson(parts)).digest('hex');
}

export function canonicalJson(v: unknown): string {
  if (v === null || typeof v !== 'object') return JSON.stringify(v ?? null);
  if (Array.isArray(v)) return `[${v.map(canonicalJson).join(',')}]`;
  const o = v as Record<string, unknown>;
  return `{${Object.keys(o)
    .filter((k) => o[k] !== undefined)
    .sort()
    .map((k) => `${JSON.stringify(k)}:${canonicalJson(o[k])}`)
    .join(',')}}`;
}

export interface StageRecord {
  id: string;
  key: string;
  outputs: string[];
  seconds: number;
}

/** Whether stage `key` is complete in `runDir` (record + matching stamp + outputs present). */
export function isStageDone(runDir: string, key: string, stampPath: string, outputs: readonly string[]): boolean {
  const rec = join(runDir, '.cache', `${key}.json`);
  if (!existsSync(rec) || !existsSync(stampPath)) return false;
  if (readFileSync(stampPath, 'utf8').trim() !== key) return false;
  return outputs.every((p) => existsSync(p));
}

/** Forget a stage's completion before (re)running it. */
export function clearStamp(stampPath: string): void {
  rmSync(stampPath, { force: true });
}

/** Record completion: the stamp, then the cache record (both atomic). */
export function markStageDone(runDir: string, rec: StageRecord, stampPath: string): void {
  writeFileAtomic(stampPath, rec.key + '\n');
  writeFileAtomic(join(runDir, '.cache', `${rec.key}.json`), JSON.stringify(rec, null, 2) + '\n');
}
