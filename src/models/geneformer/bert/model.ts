import type { Backend } from '../../../engine/index.js';
import { Tape, getBackend } from '../../../engine/index.js';
import { BertModelConfig } from './config.js';
import { createBertParams, type BertParams } from './params.js';
import { encode, mlmHead, type TokenBatch } from './module.js';

/**
 * A Geneformer (Hugging Face BertForMaskedLM) held in backend memory, in eval mode: every
 * method runs without dropout and without recording gradients. Training uses the module
 * functions on a training Tape (see trainer.ts).
 */
export class GeneformerModel {
  readonly config: BertModelConfig;
  readonly backend: Backend;
  readonly params: BertParams;

  constructor(config: BertModelConfig, backend: Backend, params: BertParams) {
    this.config = config;
    this.backend = backend;
    this.params = params;
  }

  private check(batch: TokenBatch): void {
    const { B, T, ids, lengths } = batch;
    if (ids.length !== B * T || lengths.length !== B) throw new RangeError(`batch: ids ${ids.length} / lengths ${lengths.length} for B=${B}, T=${T}`);
    if (T > this.config.maxPositionEmbeddings) throw new RangeError(`batch: sequence length ${T} exceeds maxPositionEmbeddings ${this.config.maxPositionEmbeddings}`);
    const V = this.config.vocabSize;
    for (let i = 0; i < ids.length; i++) if (!(ids[i] >= 0 && ids[i] < V)) throw new RangeError(`batch: token id ${ids[i]} outside 0..${V - 1}`);
  }

  private run<R>(fn: (t: Tape) => R): R {
    const t = new Tape(this.backend, { grad: false, training: false });
    try {
      return fn(t);
    } finally {
      t.dispose();
    }
  }

  /** Resolve a hidden-state index: 0..n, or negative from the end (-1 = last layer, -2 = layer n-1). */
  resolveLayer(layer: number): number {
    const n = this.config.numHiddenLayers;
    const k = layer < 0 ? n + 1 + layer : layer;
    if (!Number.isInteger(layer) || k < 0 || k > n) throw new RangeError(`layer ${layer} outside -${n + 1}..${n}`);
    return k;
  }

  /**
   * MLM logits at the flat positions `rows` (b*T+i): Float32Array [rows.length, V].
   * Without `rows`, at every position [B*T, V] (large: see predictArgmax).
   */
  forward(batch: TokenBatch, rows?: Int32Array): Float32Array {
    this.check(batch);
    return this.run((t) => {
      const hs = encode(t, this.params, this.config, batch);
      return Float32Array.from(mlmHead(t, this.params, this.config, hs[hs.length - 1], rows ?? null).data);
    });
  }

  /** Logits at all B*T positions, [B*T, V] (HF model(input_ids).logits, flattened). */
  predictLogitsAll(batch: TokenBatch): Float32Array {
    return this.forward(batch);
  }

  /**
   * argmax over the vocabulary at every position, Int32Array [B*T], computing the head in row
   * chunks so the [B*T, V] logits never exist at once (zero-shot rank prediction).
   */
  predictArgmax(batch: TokenBatch, chunkRows = 256): Int32Array {
    this.check(batch);
    const V = this.config.vocabSize;
    return this.run((t) => {
      const hs = encode(t, this.params, this.config, batch);
      const n = batch.B * batch.T;
      const out = new Int32Array(n);
      for (let s = 0; s < n; s += chunkRows) {
        const rows = new Int32Array(Math.min(chunkRows, n - s)).map((_, i) => s + i);
        const sub = new Tape(this.backend, { grad: false });
        try {
          const lg = mlmHead(sub, this.params, this.config, hs[hs.length - 1], rows).data;
          for (let r = 0; r < rows.length; r++) {
            let best = 0;
            let bv = -Infinity;
            for (let j = 0; j < V; j++) if (lg[r * V + j] > bv) { bv = lg[r * V + j]; best = j; }
            out[s + r] = best;
          }
        } finally {
          sub.dispose();
        }
      }
      return out;
    });
  }

  /** Hidden state `layer` (HF hidden_states[layer], negative from the end): Float32Array [B*T, H]. */
  hiddenStates(batch: TokenBatch, layer: number): Float32Array {
    this.check(batch);
    const k = this.resolveLayer(layer);
    return this.run((t) => Float32Array.from(encode(t, this.params, this.config, batch, k)[k].data));
  }

  /**
   * Cell embeddings: mean over the real positions of hidden state `layer` (default -2, the
   * study's choice), Float32Array [B, H]. Only layers up to `layer` run. `specialTokens: true`
   * (V2 datasets with <cls> first and <eos> last) averages positions 1..length-2 instead, as
   * Geneformer's EmbExtractor does.
   * @throws RangeError for a cell with no position to average
   */
  embed(batch: TokenBatch, opts: { layer?: number; specialTokens?: boolean } = {}): Float32Array {
    const H = this.config.hiddenSize;
    const hs = this.hiddenStates(batch, opts.layer ?? -2);
    const out = new Float32Array(batch.B * H);
    const acc = new Float64Array(H);
    const skip = opts.specialTokens ? 1 : 0;
    for (let b = 0; b < batch.B; b++) {
      const from = skip;
      const to = batch.lengths[b] - skip;
      if (to <= from) throw new RangeError(`embed: cell ${b} has no token to average (length ${batch.lengths[b]})`);
      acc.fill(0);
      for (let i = from; i < to; i++) {
        const o = (b * batch.T + i) * H;
        for (let j = 0; j < H; j++) acc[j] += hs[o + j];
      }
      for (let j = 0; j < H; j++) out[b * H + j] = acc[j] / (to - from);
    }
    return out;
  }

  /** Number of parameters (the tied decoder counted once, as HF). */
  get nParameters(): number {
    return this.params.all.reduce((s, p) => s + p.size, 0);
  }

  /** Free the parameter buffers. */
  dispose(): void {
    for (const p of this.params.all) {
      this.backend.free(p.data);
      if (p.grad) this.backend.free(p.grad);
    }
  }
}

/**
 * A freshly initialised model (HF init, seeded). `cfg` may be a full GeneformerConfig (its
 * `model` part is used) or a BertModelConfig input. Uses `backend` or the process default.
 * @throws ZodError-derived RangeError on an invalid config
 */
export function createGeneformer(cfg: { model?: unknown } | Partial<BertModelConfig>, seed = 42, backend: Backend = getBackend()): GeneformerModel {
  const raw = 'model' in cfg && typeof cfg.model === 'object' ? cfg.model : cfg;
  const c = BertModelConfig.parse(raw ?? {});
  return new GeneformerModel(c, backend, createBertParams(backend, c, seed));
}
