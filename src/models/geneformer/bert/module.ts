import type { Tensor, Tape, I32 } from '../../../engine/index.js';
import { add, attention, attentionGemm, crossEntropy, dropout, embedding, gatherRows, layerNorm, linear, matmul, addBias, unary } from '../../../engine/index.js';
import type { BertModelConfig } from './config.js';
import type { BertLayerParams, BertParams } from './params.js';

/**
 * A right-padded token batch: ids[B*T] (row-major, <pad> after each cell's length), lengths[B].
 * Position ids are 0..T-1 and token types 0, as HF with default arguments.
 */
export interface TokenBatch {
  B: number;
  T: number;
  ids: I32; // [B*T]
  lengths: I32; // [B]
}

/** Embedding output h0 = Dropout(LayerNorm(word[ids] + pos[t] + type[0])): [B*T, H]. */
export function embed(t: Tape, p: BertParams, c: BertModelConfig, batch: TokenBatch): Tensor {
  const { B, T } = batch;
  if (T > c.maxPositionEmbeddings) throw new RangeError(`sequence length ${T} exceeds maxPositionEmbeddings ${c.maxPositionEmbeddings}`);
  const posIds = t.i32(B * T);
  for (let b = 0; b < B; b++) for (let i = 0; i < T; i++) posIds[b * T + i] = i;
  const typeIds = t.i32(B * T); // all 0
  const w = embedding(t, p.word, batch.ids, c.padTokenId); // [B*T, H]
  const e = add(t, add(t, w, embedding(t, p.pos, posIds)), embedding(t, p.type, typeIds));
  return dropout(t, layerNorm(t, e, p.embLnG, p.embLnB, c.layerNormEps), c.hiddenDropoutProb);
}

/** One post-LN encoder layer: [B*T, H] -> [B*T, H]. */
export function encoderLayer(t: Tape, l: BertLayerParams, c: BertModelConfig, h: Tensor, batch: TokenBatch): Tensor {
  const nH = c.numAttentionHeads;
  const Dh = c.hiddenSize / nH;
  const q = linear(t, h, l.q, l.qb); // [B*T, H] = [B, T, nH, Dh]
  const k = linear(t, h, l.k, l.kb);
  const v = linear(t, h, l.v, l.vb);
  const dims = { B: batch.B, T: batch.T, H: nH, Dh };
  // only the GEMM path can drop attention probabilities (the fused kernels never hold them)
  const ctx = c.attentionImpl === 'gemm'
    ? attentionGemm(t, q, k, v, dims, batch.lengths, { dropoutP: c.attentionProbsDropoutProb })
    : attention(t, q, k, v, dims, batch.lengths);
  const a = layerNorm(t, add(t, h, dropout(t, linear(t, ctx, l.o, l.ob), c.hiddenDropoutProb)), l.ln1g, l.ln1b, c.layerNormEps);
  const f = linear(t, unary(t, c.hiddenAct, linear(t, a, l.f1, l.f1b)), l.f2, l.f2b); // [B*T, F] -> [B*T, H]
  return layerNorm(t, add(t, a, dropout(t, f, c.hiddenDropoutProb)), l.ln2g, l.ln2b, c.layerNormEps);
}

/**
 * Hidden states 0..upTo (0 = embedding output, l = output of layer l), each [B*T, H].
 * Stops after layer `upTo` so embedding extraction skips the layers it does not need.
 */
export function encode(t: Tape, p: BertParams, c: BertModelConfig, batch: TokenBatch, upTo = c.numHiddenLayers): Tensor[] {
  const hs = [embed(t, p, c, batch)];
  for (let l = 0; l < upTo; l++) hs.push(encoderLayer(t, p.layers[l], c, hs[l], batch));
  return hs;
}

/** MLM head on selected rows of the last hidden state: h[rows] -> logits [P, V]. */
export function mlmHead(t: Tape, p: BertParams, c: BertModelConfig, h: Tensor, rows: I32 | null): Tensor {
  const hs = rows ? gatherRows(t, h, rows) : h; // [P, H]
  const tr = layerNorm(t, unary(t, c.hiddenAct, linear(t, hs, p.headW, p.headB)), p.headLnG, p.headLnB, c.layerNormEps);
  return addBias(t, matmul(t, tr, p.word, { transB: true }), p.decoderBias); // tied decoder: [P, V]
}

/**
 * Masked-LM loss: mean cross-entropy over the masked rows only (the head runs on those rows,
 * not on all B*T positions). `rows` are flat indices b*T+i, `targets` the original ids there.
 */
export function mlmLoss(t: Tape, p: BertParams, c: BertModelConfig, batch: TokenBatch, rows: I32, targets: I32): { loss: Tensor; logits: Tensor } {
  const hs = encode(t, p, c, batch);
  const logits = mlmHead(t, p, c, hs[hs.length - 1], rows);
  return { loss: crossEntropy(t, logits, targets), logits };
}
