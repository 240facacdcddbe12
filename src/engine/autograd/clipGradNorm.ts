import type { Backend } from '../backend.js';
import type { Tensor } from './tensor.js';

/**
 * torch.nn.utils.clip_grad_norm_ (L2): total = sqrt(sum of squared grads over all params); if
 * total > maxNorm, every grad is scaled by maxNorm / (total + 1e-6). Returns the norm before
 * clipping (float64).
 */
export function clipGradNorm(backend: Backend, params: readonly Tensor[], maxNorm: number): number {
  let ss = 0;
  for (const p of params) if (p.grad) ss += backend.sumSquares(p.size, p.grad);
  const total = Math.sqrt(ss);
  const coef = maxNorm / (total + 1e-6);
  if (coef < 1) {
    for (const p of params) if (p.grad) backend.axpby(p.size, coef, p.grad, 0, p.grad, p.grad);
  }
  return total;
}
