/**
 * Learning-rate and KL-weight schedules as pure functions of the step or epoch.
 */

/**
 * Hugging Face get_linear_schedule_with_warmup: the multiplier at optimizer step `step` (0-based:
 * the first optimizer step uses step 0, i.e. lr 0 when warmupSteps > 0, as HF's LambdaLR does)
 *   step < warmup:  step / max(1, warmup)
 *   otherwise:      max(0, (total - step) / max(1, total - warmup))
 * Returns peakLr times that multiplier.
 */
export function linearWarmupDecay(step: number, cfg: { peakLr: number; warmupSteps: number; totalSteps: number }): number {
  const { peakLr, warmupSteps, totalSteps } = cfg;
  if (step < warmupSteps) return (peakLr * step) / Math.max(1, warmupSteps);
  return peakLr * Math.max(0, (totalSteps - step) / Math.max(1, totalSteps - warmupSteps));
}

/**
 * scvi-tools KL warm-up by epoch (ldvae-spec 4.2): min + (max - min) * epoch / nEpochsKlWarmup
 * while epoch < nEpochsKlWarmup, else max. `epoch` is 0-based and constant within an epoch.
 * nEpochsKlWarmup null or 0 means no warm-up (always max). Defaults min 0, max 1.
 */
export function klWeightAt(epoch: number, nEpochsKlWarmup: number | null, bounds: { min?: number; max?: number } = {}): number {
  const min = bounds.min ?? 0;
  const max = bounds.max ?? 1;
  if (!nEpochsKlWarmup || epoch >= nEpochsKlWarmup) return max;
  return min + ((max - min) * epoch) / nEpochsKlWarmup;
}
