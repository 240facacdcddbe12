/**
 * LDVAE math (scvi-tools `LDVAE`, docs/ldvae-spec.md sections 2-3): forward and a hand-written
 * backward over the Backend kernels. The graph is fixed and small, so there is no autograd: each
 * step runs a fixed sequence of kernels on buffers preallocated once for the largest batch.
 *
 *   X [B,G] CSR counts --log1p--> z-encoder (nLayers x Linear-BN-ReLU-Dropout) -> qm, qv [B,K]
 *                            \--> l-encoder (1 layer) -> lm, lv [B]
 *   z = qm + sqrt(qv) * epsZ;  ell = lm + sqrt(lv) * epsL
 *   logits = BN_G(z Wd^T) [B,G];  rec = -log NB(X; exp(ell) softmax(logits), exp(px_r))
 *   loss = mean(rec + klWeight * KL_z + KL_l)
 */
import type { Backend, CsrView, F32, I32 } from '../../engine/index.js';
import { type LdvaeDims, type LdvaeState, names } from './params.js';
import { backward } from './backward.js';
import type { AdamHyper, AdamState } from './optimizer.js';
import { type DecoderFold, createDecoderFold, decoderForwardEval, decoderForwardTrain, freeDecoderFold } from './decoderBn.js';

export interface BnOpts {
  readonly eps: number;
  readonly momentum: number;
}

/** One encoder hidden layer's tensor names and activations. */
interface EncLayer {
  readonly w: string; readonly b: string; readonly gamma: string; readonly beta: string;
  readonly rm: string; readonly rv: string; readonly nbt: string;
  readonly nIn: number;
  readonly a: F32; /** pre-BN [B,H] */
  readonly r: F32; /** post BN + ReLU [B,H] */
  readonly h: F32; /** post dropout [B,H] (=== r when dropout is 0) */
  readonly mean: F32; readonly invStd: F32; /** batch stats [H] */
}

export interface EncBuffers {
  readonly layers: EncLayer[];
  readonly meanW: string; readonly meanB: string; readonly varW: string; readonly varB: string;
  readonly n: number; /** output width (K or 1) */
  readonly qm: F32; readonly qvRaw: F32; readonly qv: F32; readonly sample: F32; readonly eps: F32; /** [B,n] */
  readonly dqm: F32; readonly dqvRaw: F32; /** [B,n] */
  readonly dh: F32; readonly dr: F32; readonly da: F32; /** [B,H] scratch */
}

/** All buffers of one model + batch capacity. Allocate once, reuse every step. */
export interface LdvaeWorkspace {
  readonly backend: Backend;
  readonly dims: LdvaeDims;
  readonly maxB: number;
  readonly dropout: number;
  readonly zEnc: EncBuffers;
  readonly lEnc: EncBuffers;
  readonly logits: F32; readonly dLogits: F32; /** [B,G]; the decoder backward turns dLogits into the gradient of its pre-BN activations */
  readonly Wf: F32; /** [G,K] folded decoder weight diag(a) W */
  readonly bf: F32; readonly meanF: F32; readonly invStdF: F32; readonly gammaF: F32; /** [G] folded decoder bias; mean, invStd, gamma arguments of the BN backward */
  readonly fold: DecoderFold;
  readonly dEll: F32; readonly rec: F32; readonly klZ: F32; readonly klL: F32; /** [B] */
  readonly dz: F32; /** [B,K] */
  readonly grads: Map<string, F32>;
  /** log1p(X)^T of the current batch (CSR [G,B]), grown on demand: both first-layer weight gradients read it */
  readonly xt: { indptr: I32; indices: I32; values: F32 };
}

export function createWorkspace(backend: Backend, state: LdvaeState, maxB: number, dropout: number, withGrads: boolean): LdvaeWorkspace {
  const { G, H, K, nLayers } = state.dims;
  const f = (n: number) => backend.allocF32(n);
  const enc = (prefix: (i: number) => string, nL: number, head: string, n: number): EncBuffers => {
    const layers: EncLayer[] = [];
    for (let i = 0; i < nL; i++) {
      const p = prefix(i);
      const r = f(maxB * H);
      layers.push({
        w: `${p}.0.weight`, b: `${p}.0.bias`, gamma: `${p}.1.weight`, beta: `${p}.1.bias`,
        rm: `${p}.1.running_mean`, rv: `${p}.1.running_var`, nbt: `${p}.1.num_batches_tracked`,
        nIn: i === 0 ? G : H, a: f(maxB * H), r, h: dropout > 0 ? f(maxB * H) : r, mean: f(H), invStd: f(H),
      });
    }
    return {
      layers, n, meanW: `${head}.mean_encoder.weight`, meanB: `${head}.mean_encoder.bias`,
      varW: `${head}.var_encoder.weight`, varB: `${head}.var_encoder.bias`,
      qm: f(maxB * n), qvRaw: f(maxB * n), qv: f(maxB * n), sample: f(maxB * n), eps: f(maxB * n),
      dqm: f(maxB * n), dqvRaw: f(maxB * n), dh: f(maxB * H), dr: f(maxB * H), da: f(maxB * H),
    };
  };
  const grads = new Map<string, F32>();
  if (withGrads) for (const s of state.specs) if (s.kind === 'param') grads.set(s.name, f(state.t.get(s.name)!.length));
  const g = withGrads ? maxB * G : 0;
  return {
    backend, dims: state.dims, maxB, dropout,
    zEnc: enc(names.zl, nLayers, 'z_encoder', K),
    lEnc: enc(() => names.ll, 1, 'l_encoder', 1),
    logits: f(maxB * G), dLogits: f(g), Wf: f(G * K), bf: f(G), meanF: f(G), invStdF: f(G), gammaF: f(G), fold: createDecoderFold(backend, G, K),
    dEll: f(maxB), rec: f(maxB), klZ: f(maxB), klL: f(maxB), dz: f(maxB * K), grads,
    xt: { indptr: backend.allocI32(withGrads ? G + 1 : 1), indices: backend.allocI32(1), values: f(1) },
  };
}

/** Release every buffer of the workspace back to its backend. */
export function freeWorkspace(ws: LdvaeWorkspace): void {
  const seen = new Set<F32>();
  const free = (a: F32) => { if (!seen.has(a)) { seen.add(a); ws.backend.free(a); } };
  for (const e of [ws.zEnc, ws.lEnc]) {
    for (const l of e.layers) [l.a, l.r, l.h, l.mean, l.invStd].forEach(free);
    [e.qm, e.qvRaw, e.qv, e.sample, e.eps, e.dqm, e.dqvRaw, e.dh, e.dr, e.da].forEach(free);
  }
  [ws.logits, ws.dLogits, ws.Wf, ws.bf, ws.meanF, ws.invStdF, ws.gammaF, ws.dEll, ws.rec, ws.klZ, ws.klL, ws.dz].forEach(free);
  ws.grads.forEach(free);
  freeDecoderFold(ws.backend, ws.fold);
  ws.backend.free(ws.xt.indptr);
  ws.backend.free(ws.xt.indices);
  ws.backend.free(ws.xt.values);
}

/** Update BN running stats from batch mean and invStd (var recovered as 1/invStd^2 - eps, unbiased by B/(B-1)). */
function updateRunning(rm: F32, rv: F32, mean: F32, invStd: F32, n: number, B: number, bn: BnOpts): void {
  const m = bn.momentum;
  const unbias = B / (B - 1);
  for (let j = 0; j < n; j++) {
    const v = 1 / (invStd[j] * invStd[j]) - bn.eps;
    rm[j] = (1 - m) * rm[j] + m * mean[j];
    rv[j] = (1 - m) * rv[j] + m * v * unbias;
  }
}

/**
 * Encoder forward on log1p(X) (CSR; first layer sparse) -> qm, qv, and the sample
 * qm + sqrt(qv) * eps (eps taken from e.eps, filled by the caller). In train mode BN uses batch
 * statistics and updates the running ones; dropout uses counter-based masks from `dropSeed`.
 */
export function encode(ws: LdvaeWorkspace, st: LdvaeState, e: EncBuffers, Xlog: CsrView, train: boolean, bn: BnOpts, dropSeed: number, varEps: number): void {
  const be = ws.backend;
  const B = Xlog.nRows;
  const H = ws.dims.H;
  const T = st.t;
  let input: F32 | null = null;
  for (let li = 0; li < e.layers.length; li++) {
    const L = e.layers[li];
    if (input === null) be.spmm(Xlog, H, T.get(L.w)!, 0, L.a); // log1p(X) [B,G] @ [G,H]
    else be.gemm(false, true, B, H, H, 1, input, T.get(L.w)!, 0, L.a); // [B,H] @ [H,H]^T
    be.addRowVector(B, H, L.a, T.get(L.b)!);
    if (train) {
      be.batchNormForward(B, H, L.a, T.get(L.gamma)!, T.get(L.beta)!, bn.eps, L.r, L.mean, L.invStd);
      updateRunning(T.get(L.rm)!, T.get(L.rv)!, L.mean, L.invStd, H, B, bn);
      st.counts.set(L.nbt, (st.counts.get(L.nbt) ?? 0n) + 1n);
    } else {
      be.batchNormInference(B, H, L.a, T.get(L.gamma)!, T.get(L.beta)!, T.get(L.rm)!, T.get(L.rv)!, bn.eps, L.r);
    }
    be.unary('relu', B * H, L.r, L.r);
    if (L.h !== L.r) {
      if (train) be.dropout(B * H, ws.dropout, dropSeed + li, 0, L.r, L.h);
      else L.h.set(L.r.subarray(0, B * H));
    }
    input = L.h;
  }
  const n = e.n;
  be.gemm(false, true, B, n, H, 1, input!, T.get(e.meanW)!, 0, e.qm);
  be.addRowVector(B, n, e.qm, T.get(e.meanB)!);
  be.gemm(false, true, B, n, H, 1, input!, T.get(e.varW)!, 0, e.qvRaw);
  be.addRowVector(B, n, e.qvRaw, T.get(e.varB)!);
  for (let i = 0; i < B * n; i++) {
    const v = Math.fround(Math.exp(e.qvRaw[i]) + varEps);
    e.qv[i] = v;
    e.sample[i] = e.qm[i] + Math.fround(Math.sqrt(v)) * e.eps[i];
  }
}

/**
 * Eval-mode decoder scale for latent rows z [B,K]: softmax(BN_eval(z Wd^T)) into out [B,G]
 * (px_scale; independent of the library and of theta).
 */
export function decodeScale(ws: LdvaeWorkspace, st: LdvaeState, z: F32, B: number, bnEps: number, out: F32): void {
  decoderForwardEval(ws, st, z, B, bnEps);
  ws.backend.softmaxRows(B, ws.dims.G, ws.logits, out);
}

export interface StepOptions {
  readonly train: boolean;
  readonly klWeight: number;
  readonly bn: BnOpts;
  readonly varEps: number;
  /** dropout mask seed for this step (counter-based; ignored in eval mode) */
  readonly dropSeed: number;
  /**
   * update px_dropout_decoder running stats as scvi does (train mode only); 'deferred' accumulates
   * them in O(K^2) until flushDropoutHead (decoderBn.ts), the training loop's choice
   */
  readonly dropoutHead: boolean | 'deferred';
  /** write softmax(logits) here ([B,G]) if given */
  readonly rhoOut?: F32 | null;
  /** compute gradients (train mode) */
  readonly backward: boolean;
  /**
   * Take the Adam step of the two sparse first-layer weights inside the backward pass (spmmAdam:
   * their [G,H] gradients are never materialised), as step `state.step + 1`, the one adamUpdate
   * takes next; StepResult.adamDone names them so that adamUpdate skips them.
   */
  readonly adam?: { readonly state: AdamState; readonly hyper: AdamHyper };
}

export interface StepResult {
  /** mean over the batch of rec + klWeight * klZ + klL */
  readonly loss: number;
  readonly sums: { rec: number; klZ: number; klL: number };
  /** tensors whose Adam step the backward pass already took (StepOptions.adam) */
  readonly adamDone: readonly string[];
}

/**
 * Forward (and optionally backward) on one minibatch: X = counts, Xlog = log1p(counts) with the
 * same CSR structure. Noise must already be in ws.zEnc.eps [B,K] and ws.lEnc.eps [B]. Gradients
 * are overwritten into ws.grads.
 */
export function step(ws: LdvaeWorkspace, st: LdvaeState, X: CsrView, Xlog: CsrView, o: StepOptions): StepResult {
  const be = ws.backend;
  const { G, K } = ws.dims;
  const B = X.nRows;
  const T = st.t;
  const grad = o.backward;
  encode(ws, st, ws.zEnc, Xlog, o.train, o.bn, o.dropSeed, o.varEps);
  encode(ws, st, ws.lEnc, Xlog, o.train, o.bn, o.dropSeed + 64, o.varEps);
  const z = ws.zEnc.sample;
  const ell = ws.lEnc.sample;
  if (o.train) decoderForwardTrain(ws, st, z, B, o.bn, o.dropoutHead);
  else decoderForwardEval(ws, st, z, B, o.bn.eps);
  const pxR = T.get('px_r')!;
  const dPxR = grad ? ws.grads.get('px_r')! : null;
  if (dPxR) dPxR.fill(0);
  be.nbLossRows(B, G, ws.logits, ell, pxR, X, grad ? 1 / B : 0, ws.rec, grad ? ws.dLogits : null, grad ? ws.dEll : null, dPxR, o.rhoOut ?? null);

  // KL terms per cell (small [B,K] work in plain JS)
  const m0 = T.get('library_log_means')![0];
  const v0 = T.get('library_log_vars')![0];
  const { qm, qv } = ws.zEnc;
  const lm = ws.lEnc.qm;
  const lv = ws.lEnc.qv;
  let sRec = 0, sKz = 0, sKl = 0, loss = 0;
  for (let b = 0; b < B; b++) {
    let kz = 0;
    for (let k = 0; k < K; k++) {
      const i = b * K + k;
      kz += 0.5 * (qv[i] + qm[i] * qm[i] - 1 - Math.log(qv[i]));
    }
    const dm = lm[b] - m0;
    const kl = 0.5 * (lv[b] / v0 + (dm * dm) / v0 - 1 - Math.log(lv[b] / v0));
    ws.klZ[b] = kz;
    ws.klL[b] = kl;
    sRec += ws.rec[b];
    sKz += kz;
    sKl += kl;
    loss += ws.rec[b] + o.klWeight * kz + kl;
  }
  // A non-finite loss stops here: the caller reports it, and no weight has been touched.
  const adamDone = grad && Number.isFinite(loss) ? backward(ws, st, Xlog, o) : [];
  return { loss: loss / B, sums: { rec: sRec, klZ: sKz, klL: sKl }, adamDone };
}

