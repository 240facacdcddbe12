/**
 * Which cells a component takes, for one seed (docs/study.md section 1): the available cells of
 * its source are cut into `split.parts` disjoint parts by one seeded permutation per (seed,
 * source, parts), so "subset1" and "subset2" never share a cell, then `size` cells are sampled
 * without replacement from the part. Same seed => same cells; rows stay in file order.
 */
import { ScmixError } from '../errors.js';
import { Rng, deriveSeed } from '../data/index.js';
import type { ParsedStudy } from './parseStudy.js';

/** Cells of one split part (ascending). `available` must be ascending. */
export function splitPart(available: Int32Array, source: string, parts: number, part: number, seed: number): Int32Array {
  const perm = new Rng(deriveSeed(seed, 'split', source, parts)).permutation(available.length);
  const a = Math.floor((part * available.length) / parts);
  const b = Math.floor(((part + 1) * available.length) / parts);
  return Int32Array.from(perm.subarray(a, b), (i) => available[i]).sort();
}

/**
 * The rows (ascending source row numbers) of component `name` for `seed`.
 * @throws NOT_ENOUGH_CELLS naming the YAML line, the size asked and the cells available.
 */
export function selectComponent(study: ParsedStudy, name: string, available: Int32Array, seed: number): Int32Array {
  const comp = study.config.components[name];
  const pool = comp.split ? splitPart(available, comp.source, comp.split.parts, comp.split.part, seed) : available;
  if (comp.size === 'all') return pool;
  if (comp.size > pool.length) {
    const where = comp.split ? ` (part ${comp.split.part} of ${comp.split.parts} of ${available.length} cells)` : '';
    throw new ScmixError('NOT_ENOUGH_CELLS', `${study.locate(['components', name, 'size'])}: component "${name}" asks for ${comp.size} cells but only ${pool.length} cells of source "${comp.source}" pass filters and QC${where}`, {
      hint: `lower size to at most ${pool.length}, or use size: all`,
    });
  }
  const pick = new Rng(deriveSeed(seed, 'sample', name)).sampleWithoutReplacement(pool.length, comp.size);
  return Int32Array.from(pick, (i) => pool[i]);
}

/** Eval-set rows: the same for every seed (fixed stream), so all models see the same cells. */
export function selectEvalCells(available: Int32Array, name: string, size: number | 'all'): Int32Array {
  if (size === 'all' || size >= available.length) return available;
  const pick = new Rng(deriveSeed(0, 'eval', name)).sampleWithoutReplacement(available.length, size);
  return Int32Array.from(pick, (i) => available[i]);
}
