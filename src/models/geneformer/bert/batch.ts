import { Rng } from '../../../data/rng.js';
import type { TokenBatch } from './module.js';

/** Right-pad cells (token id arrays) into a batch; T = the longest cell. @throws RangeError on an empty cell list */
export function padBatch(cells: readonly Int32Array[], padTokenId = 0): TokenBatch {
  if (cells.length === 0) throw new RangeError('padBatch: no cells');
  const B = cells.length;
  const T = Math.max(1, ...cells.map((c) => c.length));
  const ids = new Int32Array(B * T).fill(padTokenId);
  const lengths = new Int32Array(B);
  cells.forEach((c, b) => {
    ids.set(c, b * T);
    lengths[b] = c.length;
  });
  return { B, T, ids, lengths };
}

/** The masked-LM view of a batch: corrupted inputs, scored rows and their original ids. */
export interface MaskedBatch {
  batch: TokenBatch; // ids with <mask>/random/unchanged substitutions
  rows: Int32Array; // flat indices b*T+i of the selected positions, ascending
  targets: Int32Array; // original ids at `rows`
}

/**
 * HF DataCollatorForLanguageModeling: each real (non-pad) position is selected with probability
 * `p` (Bernoulli); of the selected, 80% become <mask>, 10% a uniform random id in [0, V), 10%
 * stay unchanged. Positions holding <pad> or <mask> are never selected (special tokens). If no
 * position is selected, one real position is chosen uniformly so the loss is defined (HF would
 * give NaN). `neverMask` lists further special ids (V2 <cls>/<eos>). Deterministic in `rng`.
 */
export function maskTokens(batch: TokenBatch, rng: Rng, opts: { p: number; vocabSize: number; maskTokenId: number; padTokenId: number; neverMask?: readonly number[] }): MaskedBatch {
  const { B, T } = batch;
  const ids = Int32Array.from(batch.ids);
  const rows: number[] = [];
  const real: number[] = [];
  const never = new Set(opts.neverMask ?? []);
  for (let b = 0; b < B; b++) {
    for (let i = 0; i < batch.lengths[b]; i++) {
      const k = b * T + i;
      const id = batch.ids[k];
      if (id === opts.padTokenId || id === opts.maskTokenId || never.has(id)) continue;
      real.push(k);
      if (rng.uniform() < opts.p) rows.push(k);
    }
  }
  if (rows.length === 0 && real.length > 0) rows.push(real[rng.int(real.length)]);
  const targets = new Int32Array(rows.length);
  rows.forEach((k, j) => {
    targets[j] = batch.ids[k];
    const r = rng.uniform();
    if (r < 0.8) ids[k] = opts.maskTokenId;
    else if (r < 0.9) ids[k] = rng.int(opts.vocabSize);
  });
  return { batch: { ...batch, ids }, rows: Int32Array.from(rows), targets };
}

/**
 * HF LengthGroupedSampler: a random permutation, cut into mega-batches of `megaBatchMult *
 * batchSize` cells, each sorted by length (descending, stable), then cut into batches; the batch
 * holding the longest cell goes first (fail early on memory). Returns the batches as cell indices.
 */
export function lengthGroupedBatches(lengths: ArrayLike<number>, batchSize: number, megaBatchMult: number, rng: Rng): Int32Array[] {
  const n = lengths.length;
  const perm = rng.permutation(n);
  const mega = Math.max(1, megaBatchMult * batchSize);
  const batches: Int32Array[] = [];
  for (let s = 0; s < n; s += mega) {
    const chunk = Array.from(perm.subarray(s, Math.min(n, s + mega)));
    chunk.sort((a, b) => lengths[b] - lengths[a]);
    for (let j = 0; j < chunk.length; j += batchSize) batches.push(Int32Array.from(chunk.slice(j, j + batchSize)));
  }
  let longest = 0;
  let where = 0;
  batches.forEach((bt, i) => {
    if (bt.length && lengths[bt[0]] > longest) {
      longest = lengths[bt[0]];
      where = i;
    }
  });
  [batches[0], batches[where]] = [batches[where], batches[0]];
  return batches;
}

/**
 * Cells [start, end) of a masked batch as their own batch (gradient accumulation): padded to
 * the longest cell of the range, rows re-indexed, masking unchanged.
 */
export function sliceMaskedBatch(mb: MaskedBatch, start: number, end: number): MaskedBatch {
  const { T } = mb.batch;
  const lengths = mb.batch.lengths.slice(start, end);
  const Tc = Math.max(1, ...lengths);
  const B = end - start;
  const ids = new Int32Array(B * Tc);
  for (let b = 0; b < B; b++) ids.set(mb.batch.ids.subarray((start + b) * T, (start + b) * T + Tc), b * Tc);
  const rows: number[] = [];
  const targets: number[] = [];
  mb.rows.forEach((k, j) => {
    const b = Math.floor(k / T);
    if (b >= start && b < end) {
      rows.push((b - start) * Tc + (k % T));
      targets.push(mb.targets[j]);
    }
  });
  return { batch: { B, T: Tc, ids, lengths }, rows: Int32Array.from(rows), targets: Int32Array.from(targets) };
}
