/**
 * The other rooms the study pipeline drives, loaded on first use. Loading lazily keeps the schema,
 * planner and cache usable (and testable) on their own, and lets the runner say exactly which
 * stage is unavailable when a room is missing from a build, instead of failing at import time.
 */
import { ScmixError } from '../errors.js';

type IoRoom = typeof import('../io/index.js');
type LdvaeRoom = typeof import('../models/ldvae/index.js');
type EvalRoom = typeof import('../eval/index.js');
type ReportRoom = typeof import('../report/index.js');
type GeneformerRoom = typeof import('../models/geneformer/index.js');

const cache = new Map<string, Promise<unknown>>();

async function load<T>(key: string, what: string, importer: () => Promise<T>): Promise<T> {
  if (!cache.has(key)) cache.set(key, importer());
  try {
    return (await cache.get(key)) as T;
  } catch (err) {
    cache.delete(key);
    throw new ScmixError('INTERNAL', `stage unavailable: ${what} could not be loaded (${(err as Error).message.split('\n')[0]})`, {
      cause: err,
      hint: 'this build of scmix lacks that room; the other stages still run (see `scmix run --only stage=...`)',
    });
  }
}

/** io room: h5ad / MEX / 3CA / GCT readers and the atomic h5ad writer. */
export const ioRoom = (): Promise<IoRoom> => load('io', 'the io room (src/io: h5ad, MEX, 3CA, GCT)', () => import('../io/index.js'));
/** LDVAE training (src/models/ldvae). */
export const ldvaeRoom = (): Promise<LdvaeRoom> => load('ldvae', 'the LDVAE trainer (src/models/ldvae)', () => import('../models/ldvae/index.js'));
/** Evaluation (src/eval). */
export const evalRoom = (): Promise<EvalRoom> => load('eval', 'the evaluation room (src/eval)', () => import('../eval/index.js'));
/** Report (src/report). */
export const reportRoom = (): Promise<ReportRoom> => load('report', 'the report room (src/report)', () => import('../report/index.js'));
/** Geneformer tokenizer + BERT (src/models/geneformer). */
export const geneformerRoom = (): Promise<GeneformerRoom> => load('geneformer', 'the Geneformer room (src/models/geneformer)', () => import('../models/geneformer/index.js'));
