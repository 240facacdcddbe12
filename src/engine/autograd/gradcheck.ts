import type { Backend } from '../backend.js';
import { Tape } from './tape.js';
import type { Tensor } from './tensor.js';

/** Result of a gradient check: the worst element over all inputs. */
export interface GradcheckResult {
  maxAbsErr: number;
  maxRelErr: number;
  /** Worst element: input index, element index, analytic and numeric values. */
  worst: { input: number; index: number; analytic: number; numeric: number };
  ok: boolean;
}

/**
 * Compare the tape's gradients with central finite differences.
 *
 * The scalar is L = sum_i w_i * out_i with fixed pseudo-random weights w (computed in float64
 * on the JS side), so every output element is checked, not just a sum. `fn` must be
 * deterministic for a fresh tape built with the same seed (dropout masks repeat).
 * An element passes when |analytic - numeric| <= atol + rtol * |numeric|.
 * Defaults: eps 1e-2 (float32 storage: smaller steps drown in rounding), atol 1e-3, rtol 1e-2.
 */
export function gradcheck(
  backend: Backend,
  fn: (t: Tape) => Tensor,
  inputs: readonly Tensor[],
  opts: { eps?: number; atol?: number; rtol?: number; training?: boolean; seed?: number } = {},
): GradcheckResult {
  const eps = opts.eps ?? 1e-2;
  const atol = opts.atol ?? 1e-3;
  const rtol = opts.rtol ?? 1e-2;
  const tapeOpts = { training: opts.training ?? false, seed: opts.seed ?? 7 };
  for (const x of inputs) if (x.grad) x.grad.fill(0);

  const t0 = new Tape(backend, tapeOpts);
  const out0 = fn(t0);
  const w = new Float64Array(out0.size);
  // fixed weights in [-1, 1): a small LCG so the check needs no Rng state
  let s = 12345;
  for (let i = 0; i < w.length; i++) {
    s = (Math.imul(s, 1103515245) + 12345) >>> 0;
    w[i] = (s / 4294967296) * 2 - 1;
  }
  t0.backward(out0, w);
  const analytic = inputs.map((x) => Float64Array.from(x.grad ?? new Float32Array(x.size)));
  t0.dispose();

  const lossAt = (): number => {
    const t = new Tape(backend, { ...tapeOpts, grad: false });
    try {
      const o = fn(t);
      let l = 0;
      for (let i = 0; i < o.size; i++) l += w[i] * o.data[i];
      return l;
    } finally {
      t.dispose();
    }
  };

  const res: GradcheckResult = { maxAbsErr: 0, maxRelErr: 0, worst: { input: -1, index: -1, analytic: 0, numeric: 0 }, ok: true };
  let worstScore = -Infinity;
  inputs.forEach((x, k) => {
    for (let i = 0; i < x.size; i++) {
      const orig = x.data[i];
      x.data[i] = orig + eps;
      const hiV = x.data[i];
      const lp = lossAt();
      x.data[i] = orig - eps;
      const loV = x.data[i];
      const lm = lossAt();
      x.data[i] = orig;
      // divide by the step actually stored in float32
      const num = (lp - lm) / (hiV - loV);
      const an = analytic[k][i];
      const abs = Math.abs(an - num);
      const rel = abs / Math.max(1e-12, Math.abs(num));
      const score = abs - (atol + rtol * Math.abs(num));
      if (abs > res.maxAbsErr) res.maxAbsErr = abs;
      if (Math.abs(num) > atol && rel > res.maxRelErr) res.maxRelErr = rel;
      if (score > worstScore) {
        worstScore = score;
        res.worst = { input: k, index: i, analytic: an, numeric: num };
      }
      if (score > 0) res.ok = false;
    }
  });
  return res;
}
