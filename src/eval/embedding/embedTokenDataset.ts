/**
 * Geneformer cell embeddings and argmax predictions over a token dataset, batched by length.
 * The model is taken structurally (what `loadGeneformer` returns), so this room needs no import
 * of the model code.
 */
import { ScmixError } from '../../errors.js';
import type { ArgmaxPredictor } from './rankPredictionEval.js';

/** A padded batch: ids [B*T] right-padded with 0, lengths [B]. */
export interface PaddedBatch {
  B: number;
  T: number;
  ids: Int32Array;
  lengths: Int32Array;
}

/** The parts of a Geneformer model used here. */
export interface EmbeddingModel {
  readonly config: { readonly hiddenSize: number; readonly vocabSize: number; readonly maxPositionEmbeddings: number };
  /** mean of hidden state `layer` over each cell's first lengths[b] positions: [B, H] */
  embed(batch: PaddedBatch, opts: { layer?: number }): Float32Array;
  /** hidden state `layer`: [B*T, H] */
  hiddenStates(batch: PaddedBatch, layer: number): Float32Array;
  /** argmax token at every position: [B*T] */
  predictArgmax(batch: PaddedBatch): Int32Array;
}

export interface TokenCells {
  readonly nCells: number;
  readonly specialTokens?: boolean;
  length(i: number): number;
  cell(i: number): Int32Array;
}

/** Right-pad cells with <pad> = 0. */
export function padCells(cells: readonly Int32Array[]): PaddedBatch {
  const B = cells.length;
  const T = Math.max(1, ...cells.map((c) => c.length));
  const ids = new Int32Array(B * T);
  const lengths = new Int32Array(B);
  cells.forEach((c, b) => {
    ids.set(c, b * T);
    lengths[b] = c.length;
  });
  return { B, T, ids, lengths };
}

/**
 * Cell embeddings [N, H] (row i = cell i of the dataset). Cells are processed in order of
 * length (descending) so a batch wastes little padding; rows go back to dataset order.
 * With <cls>/<eos> (V2) the mean leaves them out, as Geneformer's EmbExtractor does.
 * @throws CHECKPOINT_INCOMPATIBLE when a token id or a length exceeds what the model knows
 */
export function embedTokenDataset(
  model: EmbeddingModel,
  ds: TokenCells,
  opts: { layer?: number; batchSize?: number; onProgress?: (done: number, total: number) => void } = {},
): Float32Array {
  const H = model.config.hiddenSize;
  const N = ds.nCells;
  const bs = Math.max(1, opts.batchSize ?? 16);
  const layer = opts.layer ?? -2;
  const order = Array.from({ length: N }, (_, i) => i).sort((a, b) => ds.length(b) - ds.length(a) || a - b);
  const out = new Float32Array(N * H);
  for (let s = 0; s < N; s += bs) {
    const rows = order.slice(s, s + bs);
    const cells = rows.map((i) => ds.cell(i));
    checkCells(model, cells);
    const batch = padCells(cells);
    if (ds.specialTokens) {
      const hs = model.hiddenStates(batch, layer);
      rows.forEach((r, b) => {
        const L = batch.lengths[b];
        const lo = 1;
        const hi = Math.max(lo + 1, L - 1); // positions 1 .. L-2
        for (let j = 0; j < H; j++) {
          let acc = 0;
          for (let t = lo; t < hi; t++) acc += hs[(b * batch.T + t) * H + j];
          out[r * H + j] = acc / (hi - lo);
        }
      });
    } else {
      const e = model.embed(batch, { layer });
      rows.forEach((r, b) => out.set(e.subarray(b * H, (b + 1) * H), r * H));
    }
    opts.onProgress?.(Math.min(s + bs, N), N);
  }
  return out;
}

/** An ArgmaxPredictor for rankPredictionEval backed by a Geneformer model. */
export function geneformerArgmaxPredictor(model: EmbeddingModel): ArgmaxPredictor {
  return (cells) => {
    checkCells(model, cells);
    const batch = padCells(cells);
    const flat = model.predictArgmax(batch);
    return cells.map((c, b) => flat.slice(b * batch.T, b * batch.T + c.length));
  };
}

function checkCells(model: EmbeddingModel, cells: readonly Int32Array[]): void {
  const { vocabSize, maxPositionEmbeddings } = model.config;
  for (const c of cells) {
    if (c.length > maxPositionEmbeddings) {
      throw new ScmixError('CHECKPOINT_INCOMPATIBLE', `a cell has ${c.length} tokens; the model takes at most ${maxPositionEmbeddings}`, { hint: 'tokenize with --input-size matching the model' });
    }
    for (let i = 0; i < c.length; i++) {
      if (c[i] >= vocabSize || c[i] < 0) {
        throw new ScmixError('CHECKPOINT_INCOMPATIBLE', `token id ${c[i]} is outside the model's vocabulary (0..${vocabSize - 1})`, { hint: 'tokenize with the dictionaries the model was trained on' });
      }
    }
  }
}
