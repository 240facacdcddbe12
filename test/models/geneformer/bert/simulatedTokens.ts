import { Rng } from '../../../../src/data/rng.js';
import type { TokenSource } from '../../../../src/models/geneformer/bert/index.js';

/**
 * Simulated "cells" over token ids 2..V-1 with cell-type programs: each of `nTypes` types has
 * its own Zipf-weighted set of `programSize` genes; a cell picks a type, then each token comes
 * from its type's program (probability 1 - noise) or uniformly from all genes. The other tokens
 * of a cell reveal its type, so context predicts a masked token far better than its marginal
 * frequency (conditional entropy about log(programSize) vs the unigram entropy).
 */
export function simulatedTokens(opts: { nCells: number; vocabSize: number; minLen: number; maxLen: number; nTypes: number; programSize: number; noise: number; seed: number }): TokenSource & { cells: Int32Array[] } {
  const rng = new Rng(opts.seed);
  const n = opts.vocabSize - 2;
  const programs = Array.from({ length: opts.nTypes }, () => rng.permutation(n).subarray(0, opts.programSize));
  const w = Array.from({ length: opts.programSize }, (_, i) => 1 / (i + 1));
  const ws = w.reduce((a, b) => a + b, 0);
  const cells: Int32Array[] = [];
  for (let c = 0; c < opts.nCells; c++) {
    const L = opts.minLen + rng.int(opts.maxLen - opts.minLen + 1);
    const prog = programs[rng.int(opts.nTypes)];
    const ids = new Int32Array(L);
    for (let i = 0; i < L; i++) {
      if (rng.uniform() < opts.noise) ids[i] = 2 + rng.int(n);
      else {
        let u = rng.uniform() * ws;
        let j = 0;
        while (j < opts.programSize - 1 && (u -= w[j]) > 0) j++;
        ids[i] = 2 + prog[j];
      }
    }
    cells.push(ids);
  }
  return { nCells: cells.length, length: (i) => cells[i].length, cell: (i) => cells[i], cells };
}

/** Entropy (nats) of the empirical token distribution: the loss of the best context-free predictor. */
export function unigramEntropy(cells: readonly Int32Array[]): number {
  const counts = new Map<number, number>();
  let total = 0;
  for (const c of cells) for (const id of c) { counts.set(id, (counts.get(id) ?? 0) + 1); total++; }
  let h = 0;
  for (const k of counts.values()) h -= (k / total) * Math.log(k / total);
  return h;
}

/**
 * Entropy (nats) of a token given its cell's type, exactly from the generator's parameters:
 * the loss of an oracle that knows the type (the floor for any model).
 */
export function programEntropy(opts: { vocabSize: number; programSize: number; noise: number }): number {
  const n = opts.vocabSize - 2;
  const w = Array.from({ length: opts.programSize }, (_, i) => 1 / (i + 1));
  const ws = w.reduce((a, b) => a + b, 0);
  let h = 0;
  for (let j = 0; j < opts.programSize; j++) {
    const p = (1 - opts.noise) * (w[j] / ws) + opts.noise / n;
    h -= p * Math.log(p);
  }
  const pOut = opts.noise / n; // genes outside the program
  h -= (n - opts.programSize) * pOut * Math.log(pOut);
  return h;
}
