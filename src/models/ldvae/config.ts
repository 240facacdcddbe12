/**
 * LDVAE configuration: every default equals scvi-tools 1.1.x `LinearSCVI(n_latent=10,
 * n_layers=2)` trained with `plan_kwargs={"lr": 5e-3}` (docs/ldvae-spec.md section 9), and every
 * value can be overridden. Parse once with `parseLdvaeConfig`; internal code takes the parsed type.
 */
import { z } from 'zod';
import { ScmixError } from '../../errors.js';
import { klWeightAt } from '../../engine/index.js';

export const LdvaeConfig = z
  .object({
    nHidden: z.number().int().positive().default(128).describe('hidden units of every encoder layer (scvi n_hidden)'),
    nLatent: z.number().int().positive().default(10).describe('latent factors K (scvi n_latent)'),
    nLayers: z.number().int().min(1).max(8).default(2).describe('z-encoder hidden layers (study: 2; LinearSCVI default 1); the library encoder always has 1'),
    dropoutRate: z.number().min(0).max(0.99).default(0.1).describe('dropout after every encoder hidden layer'),
    bnMomentum: z.number().min(0).max(1).default(0.01).describe('BatchNorm running-statistics momentum (scvi: 0.01)'),
    bnEps: z.number().positive().default(1e-3).describe('BatchNorm epsilon (scvi: 1e-3)'),
    varEps: z.number().positive().default(1e-4).describe('variance floor of the Gaussian posteriors: var = exp(.) + varEps'),
    epochs: z.number().int().positive().default(250).describe('training epochs (study: 250)'),
    lr: z.number().positive().default(5e-3).describe('Adam learning rate (study: 5e-3; scvi default 1e-3)'),
    adamEps: z.number().positive().default(0.01).describe('Adam epsilon (scvi: 0.01, not torch 1e-8)'),
    adamBeta1: z.number().min(0).max(1).default(0.9).describe('Adam beta1'),
    adamBeta2: z.number().min(0).max(1).default(0.999).describe('Adam beta2'),
    weightDecay: z.number().min(0).default(1e-6).describe('L2 weight decay added to the gradient (torch Adam, not AdamW)'),
    nEpochsKlWarmup: z.number().int().min(0).default(400).describe('epochs of linear KL warm-up from minKlWeight to maxKlWeight (0 = no warm-up)'),
    minKlWeight: z.number().min(0).default(0).describe('KL weight at epoch 0'),
    maxKlWeight: z.number().min(0).default(1).describe('KL weight after warm-up'),
    batchSize: z.number().int().min(2).default(128).describe('minibatch size; a final batch of 1 cell is merged into the previous batch'),
    trainSize: z.number().gt(0).max(1).default(0.9).describe('fraction of cells used for training (n_train = ceil(trainSize * N)); the rest validate'),
    checkValEveryNEpoch: z.number().int().min(0).default(10).describe('validation ELBO every N epochs (0 = never)'),
    checkpointEveryNEpoch: z.number().int().min(0).default(10).describe('write a resumable checkpoint every N epochs (0 = only at the end)'),
    computeDropoutHead: z.boolean().default(true).describe('update the running statistics of the unused ZINB head (px_dropout_decoder) as scvi does'),
    seed: z.number().int().min(0).default(0).describe('seed of the split, init, shuffling, noise and dropout'),
    librarySize: z.number().positive().default(1e4).describe('default library size of normalizedExpression'),
  })
  .strict()
  .describe('LDVAE (scvi-tools LinearSCVI) model and training configuration');
export type LdvaeConfig = z.infer<typeof LdvaeConfig>;
export type LdvaeConfigInput = z.input<typeof LdvaeConfig>;

/**
 * Validate and fill defaults; returns a frozen config.
 * @throws ScmixError CONFIG_INVALID naming the offending keys.
 */
export function parseLdvaeConfig(input: unknown, source = 'LDVAE config'): Readonly<LdvaeConfig> {
  const r = LdvaeConfig.safeParse(input ?? {});
  if (!r.success) {
    const msg = r.error.issues.map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`).join('; ');
    throw new ScmixError('CONFIG_INVALID', `${source}: ${msg}`, { hint: 'see `scmix train ldvae --help` for the accepted keys and ranges' });
  }
  return Object.freeze(r.data);
}

/** KL warm-up weight for a 0-based epoch (scvi `_compute_kl_weight` with n_epochs_kl_warmup). */
export function klWeightForEpoch(epoch: number, cfg: Pick<LdvaeConfig, 'nEpochsKlWarmup' | 'minKlWeight' | 'maxKlWeight'>): number {
  return klWeightAt(epoch, cfg.nEpochsKlWarmup, { min: cfg.minKlWeight, max: cfg.maxKlWeight });
}
