/**
 * Reference attention (float64, plain loops): per query, scores against the valid keys, softmax,
 * weighted sum of values; the backward recomputes the probabilities from the saved lse. It keeps
 * one length-T score row per query (never T x T), like the tiled kernels it defines.
 */
import type { Backend } from '../backend.js';
import { checkAttentionBackward, checkAttentionForward } from './checks.js';

export const referenceAttentionKernels: Pick<Backend, 'attentionForward' | 'attentionBackward'> = {
  attentionForward(B, T, H, Dh, q, k, v, lengths, scale, out, lse) {
    checkAttentionForward(B, T, H, Dh, q, k, v, lengths, out, lse);
    const at = (b: number, t: number, h: number) => ((b * T + t) * H + h) * Dh;
    const s = new Float64Array(T);
    const o = new Float64Array(Dh);
    for (let b = 0; b < B; b++) {
      const L = Math.max(0, Math.min(T, lengths[b]));
      for (let h = 0; h < H; h++) {
        for (let i = 0; i < T; i++) {
          const qi = at(b, i, h);
          let m = -Infinity;
          for (let j = 0; j < L; j++) {
            let dot = 0;
            const kj = at(b, j, h);
            for (let d = 0; d < Dh; d++) dot += q[qi + d] * k[kj + d];
            s[j] = dot * scale;
            if (s[j] > m) m = s[j];
          }
          let l = 0;
          o.fill(0);
          for (let j = 0; j < L; j++) {
            const p = Math.exp(s[j] - m);
            l += p;
            const vj = at(b, j, h);
            for (let d = 0; d < Dh; d++) o[d] += p * v[vj + d];
          }
          // No valid key (length 0): output 0 and lse = -Infinity (log of an empty sum).
          for (let d = 0; d < Dh; d++) out[qi + d] = L > 0 ? o[d] / l : 0;
          lse[(b * H + h) * T + i] = L > 0 ? m + Math.log(l) : -Infinity;
        }
      }
    }
  },

  attentionBackward(B, T, H, Dh, q, k, v, lengths, scale, out, lse, dout, dq, dk, dv) {
    checkAttentionBackward(B, T, H, Dh, q, k, v, lengths, out, lse, dout, dq, dk, dv);
    const at = (b: number, t: number, h: number) => ((b * T + t) * H + h) * Dh;
    const gq = new Float64Array(T * Dh);
    const gk = new Float64Array(T * Dh);
    const gv = new Float64Array(T * Dh);
    for (let b = 0; b < B; b++) {
      const L = Math.max(0, Math.min(T, lengths[b]));
      for (let h = 0; h < H; h++) {
        gq.fill(0);
        gk.fill(0);
        gv.fill(0);
        for (let i = 0; i < T; i++) {
          if (L === 0) break;
          const qi = at(b, i, h);
          const li = lse[(b * H + h) * T + i];
          let Di = 0; // rowsum(dout * out) = sum_j p_ij dp_ij
          for (let d = 0; d < Dh; d++) Di += dout[qi + d] * out[qi + d];
          for (let j = 0; j < L; j++) {
            const kj = at(b, j, h);
            let dot = 0;
            let dp = 0;
            for (let d = 0; d < Dh; d++) {
              dot += q[qi + d] * k[kj + d];
              dp += dout[qi + d] * v[kj + d];
            }
            const p = Math.exp(dot * scale - li);
            const ds = p * (dp - Di) * scale;
            for (let d = 0; d < Dh; d++) {
              gv[j * Dh + d] += p * dout[qi + d];
              gq[i * Dh + d] += ds * k[kj + d];
              gk[j * Dh + d] += ds * q[qi + d];
            }
          }
        }
        for (let t = 0; t < T; t++) {
          const base = at(b, t, h);
          for (let d = 0; d < Dh; d++) {
            dq[base + d] = gq[t * Dh + d];
            dk[base + d] = gk[t * Dh + d];
            dv[base + d] = gv[t * Dh + d];
          }
        }
      }
    }
  }
};
