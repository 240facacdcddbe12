/**
 * Hand-written backward pass of the LDVAE step (module.ts): decoder BatchNorm and Linear, the
 * reparameterised samples and KL terms, then each encoder from its heads down to the sparse first
 * layer. Gradients are of loss = mean_b(rec + klWeight KL_z + KL_l) and overwrite ws.grads, except
 * those of the sparse first layers when o.adam asks for their Adam step here (returned names).
 */
import type { CsrView } from '../../engine/index.js';
import { type LdvaeState, names } from './params.js';
import type { EncBuffers, LdvaeWorkspace, StepOptions } from './module.js';
import { decoderBackward } from './decoderBn.js';

export function backward(ws: LdvaeWorkspace, st: LdvaeState, Xlog: CsrView, o: StepOptions): string[] {
  const be = ws.backend;
  const { G, K } = ws.dims;
  const B = Xlog.nRows;
  const T = st.t;
  const gr = ws.grads;
  decoderBackward(ws, st, ws.zEnc.sample, B); // grads of W, gamma, beta; ws.dz [B,K]
  const s = 1 / B;
  const w = o.klWeight;
  // z = qm + sqrt(qv) eps, qv = exp(raw) + varEps; KL_z = 0.5 (qv + qm^2 - 1 - log qv)
  const ze = ws.zEnc;
  for (let i = 0; i < B * K; i++) {
    const qv = ze.qv[i];
    const sd = Math.sqrt(qv);
    ze.dqm[i] = ws.dz[i] + s * w * ze.qm[i];
    const dqv = (ws.dz[i] * ze.eps[i] * 0.5) / sd + s * w * 0.5 * (1 - 1 / qv);
    ze.dqvRaw[i] = dqv * (qv - o.varEps);
  }
  // ell = lm + sqrt(lv) eps; KL_l = 0.5 (lv/v0 + (lm-m0)^2/v0 - 1 - log(lv/v0))
  const le = ws.lEnc;
  const m0 = T.get('library_log_means')![0];
  const v0 = T.get('library_log_vars')![0];
  for (let b = 0; b < B; b++) {
    const lv = le.qv[b];
    le.dqm[b] = ws.dEll[b] + (s * (le.qm[b] - m0)) / v0;
    const dlv = (ws.dEll[b] * le.eps[b] * 0.5) / Math.sqrt(lv) + s * 0.5 * (1 / v0 - 1 / lv);
    le.dqvRaw[b] = dlv * (lv - o.varEps);
  }
  const XlogT = transposeInput(ws, Xlog);
  encoderBackward(ws, st, ze, XlogT, o.dropSeed, o.adam);
  encoderBackward(ws, st, le, XlogT, o.dropSeed + 64, o.adam);
  return o.adam ? [ze.layers[0].w, le.layers[0].w] : [];
}

/** log1p(X)^T [G,B] into ws.xt (grown when a batch has more nonzeros than it holds). */
function transposeInput(ws: LdvaeWorkspace, Xlog: CsrView): CsrView {
  const be = ws.backend;
  const nnz = Xlog.indptr[Xlog.nRows] - Xlog.indptr[0];
  const xt = ws.xt;
  if (xt.indices.length < nnz) {
    be.free(xt.indices);
    be.free(xt.values);
    const cap = Math.ceil(nnz * 1.25);
    xt.indices = be.allocI32(cap);
    xt.values = be.allocF32(cap);
  }
  return be.transposeCsr(Xlog, xt.indptr, xt.indices, xt.values);
}

/** One encoder's backward; XlogT = log1p(X)^T [G,B] for the sparse first layer's weight gradient. */
function encoderBackward(ws: LdvaeWorkspace, st: LdvaeState, e: EncBuffers, XlogT: CsrView, dropSeed: number, adam: StepOptions['adam']): void {
  const be = ws.backend;
  const H = ws.dims.H;
  const B = XlogT.nCols;
  const T = st.t;
  const gr = ws.grads;
  const n = e.n;
  const top = e.layers[e.layers.length - 1];
  be.gemm(true, false, n, H, B, 1, e.dqm, top.h, 0, gr.get(e.meanW)!); // [n,H]
  be.sumRows(B, n, e.dqm, 0, gr.get(e.meanB)!);
  be.gemm(true, false, n, H, B, 1, e.dqvRaw, top.h, 0, gr.get(e.varW)!);
  be.sumRows(B, n, e.dqvRaw, 0, gr.get(e.varB)!);
  be.gemm(false, false, B, H, n, 1, e.dqm, T.get(e.meanW)!, 0, e.dh); // dh [B,H]
  be.gemm(false, false, B, H, n, 1, e.dqvRaw, T.get(e.varW)!, 1, e.dh);
  for (let li = e.layers.length - 1; li >= 0; li--) {
    const L = e.layers[li];
    // dropout backward = the same counter-based mask applied to the gradient
    if (L.h !== L.r) be.dropout(B * H, ws.dropout, dropSeed + li, 0, e.dh, e.dr);
    else e.dr.set(e.dh.subarray(0, B * H));
    be.unaryBackward('relu', B * H, L.r, e.dr, e.dr); // relu'(bn) == (relu(bn) > 0)
    const dg = gr.get(L.gamma)!;
    const db = gr.get(L.beta)!;
    dg.fill(0);
    db.fill(0);
    be.batchNormBackward(B, H, L.a, e.dr, T.get(L.gamma)!, L.mean, L.invStd, e.da, dg, db);
    be.sumRows(B, H, e.da, 0, gr.get(L.b)!);
    if (li === 0) {
      // dW^T [G,H] = log1p(X)^T dA, or straight into its Adam step
      if (adam) {
        const { state: a, hyper: h } = adam;
        be.spmmAdam(XlogT, H, e.da, T.get(L.w)!, a.m.get(L.w)!, a.v.get(L.w)!, h.lr, h.adamBeta1, h.adamBeta2, h.adamEps, h.weightDecay, false, a.step + 1);
      } else {
        be.spmm(XlogT, H, e.da, 0, gr.get(L.w)!);
      }
    } else {
      const below = e.layers[li - 1];
      be.gemm(true, false, H, H, B, 1, e.da, below.h, 0, gr.get(L.w)!); // dW [H,H] = dA^T h
      be.gemm(false, false, B, H, H, 1, e.da, T.get(L.w)!, 0, e.dh); // dh [B,H] = dA W
    }
  }
}
