import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { ElboSeries } from './figures/elboCurves.js';

/** JSON file or undefined when missing/unreadable (partial runs are normal). */
export function readJson<T>(path: string): T | undefined {
  if (!existsSync(path)) return undefined;
  try {
    return JSON.parse(readFileSync(path, 'utf8')) as T;
  } catch {
    return undefined;
  }
}

/**
 * ELBO history of a checkpoint folder: history.json, or model.json's `history`. Accepts a list of
 * rows ({epoch, elbo_train, elbo_validation?}, the LDVAE room and ldvae_ref.py shapes) or an
 * object of columns ({elbo_train: [...], ...}).
 */
export function readElboHistory(modelDir: string, label: string): ElboSeries | undefined {
  const h = readJson<unknown>(join(modelDir, 'history.json')) ?? readJson<{ history?: unknown }>(join(modelDir, 'model.json'))?.history;
  if (!h) return undefined;
  const rows: Record<string, unknown>[] = Array.isArray(h)
    ? (h as Record<string, unknown>[])
    : typeof h === 'object'
      ? (() => {
          const cols = h as Record<string, unknown[]>;
          const n = Array.isArray(cols.elbo_train) ? cols.elbo_train.length : 0;
          return Array.from({ length: n }, (_, i) => Object.fromEntries(Object.entries(cols).map(([k, v]) => [k, Array.isArray(v) ? v[i] : undefined])));
        })()
      : [];
  const epochs: number[] = [];
  const train: number[] = [];
  const ve: number[] = [];
  const vv: number[] = [];
  rows.forEach((r, i) => {
    const e = typeof r.epoch === 'number' ? r.epoch : i;
    if (typeof r.elbo_train === 'number') {
      epochs.push(e);
      train.push(r.elbo_train);
    }
    if (typeof r.elbo_validation === 'number') {
      ve.push(e);
      vv.push(r.elbo_validation);
    }
  });
  if (train.length === 0) return undefined;
  return { label, epochs, train, validation: vv.length ? { epochs: ve, values: vv } : undefined };
}
