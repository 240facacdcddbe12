/**
 * `scmix train ldvae --data corpus.h5ad --out model/ [--epochs 250 --lr 5e-3 --seed 0 --threads N
 *  --config tiny|default|FILE --set key=value --resume --json]`
 * Turns flags into an LdvaeConfig and calls trainLdvae, rendering progress on stderr and, with
 * --json, one JSON object per epoch on stdout.
 */
import type { Command } from 'commander';
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ScmixError } from '../../errors.js';
import { createBackend } from '../../engine/index.js';
import { readH5ad, type AnnData, type Csr } from '../../io/index.js';
import { LdvaeConfig, parseLdvaeConfig, trainLdvae, type LdvaeHistoryRow } from '../../models/ldvae/index.js';
import { createProgress } from '../progress.js';

/** The folder holding configs/ldvae.*.json (searched upwards from this file: src/ or dist/ layouts). */
function presetPath(name: string): string | null {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 6; i++) {
    const p = join(dir, 'configs', `ldvae.${name}.json`);
    if (existsSync(p)) return p;
    dir = dirname(dir);
  }
  return null;
}

/** Resolve --config (preset name or JSON file) and --set overrides into a raw config object. */
export function resolveLdvaeConfigInput(config: string | undefined, sets: string[]): Record<string, unknown> {
  let base: Record<string, unknown> = {};
  if (config) {
    const file = /^[a-z0-9-]+$/i.test(config) && !existsSync(config) ? presetPath(config) : resolve(config);
    if (!file || !existsSync(file)) throw new ScmixError('INPUT_MISSING', `--config ${config}: no such preset (configs/ldvae.${config}.json) or file`, { hint: 'presets: tiny, default' });
    try {
      base = JSON.parse(readFileSync(file, 'utf8')) as Record<string, unknown>;
    } catch (e) {
      throw new ScmixError('INPUT_FORMAT', `${file}: not valid JSON (${(e as Error).message})`);
    }
  }
  for (const kv of sets) {
    const i = kv.indexOf('=');
    if (i <= 0) throw new ScmixError('CONFIG_INVALID', `--set ${kv}: expected key=value`);
    const k = kv.slice(0, i);
    const raw = kv.slice(i + 1);
    let v: unknown = raw;
    try {
      v = JSON.parse(raw);
    } catch {
      /* keep the string */
    }
    base[k] = v;
  }
  return base;
}

/** Counts matrix: adata.X or a CSR layer. @throws INPUT_VALUE for a missing / dense layer */
export function countsOf(ad: AnnData, layer: string | undefined, path: string): Csr {
  if (!layer) return ad.X;
  const m = ad.layers.get(layer);
  if (!m) throw new ScmixError('INPUT_VALUE', `${path}: no layer "${layer}" (layers: ${[...ad.layers.keys()].join(', ') || 'none'})`);
  if (!('nRows' in m)) throw new ScmixError('INPUT_VALUE', `${path}: layer "${layer}" is dense; store counts as CSR`);
  return m;
}

const collect = (v: string, prev: string[]) => [...prev, v];

export function register(train: Command): void {
  const defaults = LdvaeConfig.parse({}) as Record<string, unknown>;
  const keys = Object.entries(LdvaeConfig.shape)
    .map(([k, s]) => `  ${k} (default ${JSON.stringify(defaults[k])}): ${(s as { description?: string }).description ?? ''}`)
    .join('\n');
  train
    .command('ldvae')
    .description('train an LDVAE (scvi-tools LinearSCVI, n_layers 2, n_latent 10) on raw counts')
    .requiredOption('--data <h5ad>', 'training corpus (.h5ad with raw integer counts in X or --layer)')
    .requiredOption('--out <dir>', 'checkpoint folder (model.safetensors, optimizer.safetensors, model.json, history.json)')
    .option('--layer <name>', 'read counts from this layer instead of X')
    .option('--config <preset|file>', 'tiny | default | path to a JSON config (keys below)')
    .option('--set <key=value>', 'override one config key (repeatable)', collect, [])
    .option('--epochs <n>', 'epochs (default 250)')
    .option('--lr <x>', 'Adam learning rate (default 5e-3)')
    .option('--seed <n>', 'seed of split, init, shuffling, noise, dropout (default 0)')
    .option('--threads <n>', 'compute threads (default: all cores)')
    .option('--backend <kind>', 'auto | wasm | reference', 'auto')
    .option('--resume', 'continue the run checkpointed in --out (same data and config; epochs may grow)')
    .option('--json', 'print one JSON object per epoch on stdout')
    .addHelpText('after', `\nConfig keys (--config file / --set):\n${keys}`)
    .action(async (o: { data: string; out: string; layer?: string; config?: string; set: string[]; epochs?: string; lr?: string; seed?: string; threads?: string; backend: string; resume?: boolean; json?: boolean }) => {
      const raw = resolveLdvaeConfigInput(o.config, o.set);
      const num = (flag: string, v: string | undefined) => {
        if (v === undefined) return undefined;
        const n = Number(v);
        if (!Number.isFinite(n)) throw new ScmixError('CONFIG_INVALID', `--${flag} ${v}: not a number`);
        return n;
      };
      for (const [k, v] of [['epochs', num('epochs', o.epochs)], ['lr', num('lr', o.lr)], ['seed', num('seed', o.seed)]] as const) if (v !== undefined) raw[k] = v;
      const cfg = parseLdvaeConfig(raw, 'ldvae config');
      if (!['auto', 'wasm', 'reference'].includes(o.backend)) throw new ScmixError('CONFIG_INVALID', `--backend ${o.backend}: expected auto, wasm or reference`);
      if (!existsSync(o.data)) throw new ScmixError('INPUT_MISSING', `${o.data}: file not found`);
      const backend = await createBackend({ kind: o.backend as 'auto', threads: num('threads', o.threads) });
      const ad = await readH5ad(o.data, { layers: Boolean(o.layer), raw: false });
      const X = countsOf(ad, o.layer, o.data);
      const adata: AnnData = { ...ad, X };
      const nTrain = Math.ceil(cfg.trainSize * X.nRows);
      process.stderr.write(`scmix train ldvae: ${X.nRows} cells x ${X.nCols} genes (${nTrain} train), backend ${backend.name} x${backend.threads}, ${cfg.epochs} epochs\n`);
      let startEpoch = 0;
      const mj = join(o.out, 'model.json');
      if (o.resume && existsSync(mj)) {
        try {
          startEpoch = Number((JSON.parse(readFileSync(mj, 'utf8')) as { epochsDone?: number }).epochsDone ?? 0);
        } catch {
          /* trainLdvae reports an unreadable checkpoint */
        }
      }
      const progress = createProgress({ label: 'ldvae', total: Math.max(0, cfg.epochs - startEpoch) * nTrain, unit: 'cells' });
      let last: LdvaeHistoryRow | undefined;
      const model = await trainLdvae(adata, cfg, {
        backend, source: o.data, outDir: o.out, resume: Boolean(o.resume),
        onWarning: (m) => process.stderr.write(`warning: ${m}\n`),
        onBatch: (p) => {
          progress.update((p.epoch - startEpoch) * nTrain + p.cellsDone, { epoch: `${p.epoch + 1}/${cfg.epochs}`, ...(last ? { elbo: last.elbo_train } : {}) });
        },
        onEpoch: (r) => {
          last = r;
          if (o.json) {
            const out: Record<string, number> = { epoch: r.epoch, elbo_train: r.elbo_train, reconstruction_loss_train: r.reconstruction_loss_train, kl_local_train: r.kl_local_train, kl_weight: r.kl_weight, seconds: r.seconds, cells_per_s: r.cells_per_s };
            if (r.elbo_validation !== undefined) Object.assign(out, { elbo_validation: r.elbo_validation, reconstruction_loss_validation: r.reconstruction_loss_validation, kl_local_validation: r.kl_local_validation });
            process.stdout.write(JSON.stringify(out) + '\n');
          }
        },
      });
      progress.finish(last ? { elbo_train: last.elbo_train, epochs: model.epochsDone } : { epochs: model.epochsDone });
      process.stderr.write(`saved ${o.out}/model.safetensors, model.json, history.json\n`);
    });
}
