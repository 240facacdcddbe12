/**
 * Weights from the PyTorch reference (shared/reference/ldvae_ref.py writes weights.npz with the
 * scvi-tools state_dict keys + var_names). Convert once with
 *   /usr/bin/python3 src/models/ldvae/tools/npz_to_safetensors.py weights.npz weights.safetensors
 * (var_names go into the safetensors metadata as JSON), then load here as an LdvaeModel so the
 * same metric can be computed on the same weights by both implementations.
 */
import { type Backend, getBackend } from '../../engine/index.js';
import { readSafetensors } from '../../io/index.js';
import { Rng } from '../../data/rng.js';
import { ScmixError } from '../../errors.js';
import { type LdvaeConfigInput, parseLdvaeConfig } from './config.js';
import { initState } from './params.js';
import { loadStateTensors } from './stateDict.js';
import { LdvaeModel } from './model.js';

/**
 * @param path safetensors converted from weights.npz (or any file with scvi-tools LDVAE keys and
 *   `var_names` metadata). nHidden / nLatent / nLayers are inferred from the tensor shapes.
 * @throws ScmixError INPUT_MISSING, INPUT_FORMAT, CHECKPOINT_INCOMPATIBLE
 */
export function loadReferenceWeights(path: string, opts: { backend?: Backend; config?: LdvaeConfigInput } = {}): LdvaeModel {
  const backend = opts.backend ?? getBackend();
  const { tensors, metadata } = readSafetensors(path);
  const w0 = tensors.get('z_encoder.encoder.fc_layers.Layer 0.0.weight');
  const mean = tensors.get('z_encoder.mean_encoder.weight');
  if (!w0 || !mean) throw new ScmixError('CHECKPOINT_INCOMPATIBLE', `${path}: no LDVAE z_encoder tensors (is this a converted ldvae_ref weights.npz?)`);
  let nLayers = 0;
  while (tensors.has(`z_encoder.encoder.fc_layers.Layer ${nLayers}.0.weight`)) nLayers++;
  const [H, G] = w0.shape;
  const K = mean.shape[0];
  let genes: string[];
  try {
    genes = JSON.parse(metadata.var_names ?? 'null') as string[];
  } catch {
    throw new ScmixError('INPUT_FORMAT', `${path}: metadata "var_names" is not a JSON list`);
  }
  if (!Array.isArray(genes) || genes.length !== G) throw new ScmixError('CHECKPOINT_INCOMPATIBLE', `${path}: metadata var_names must list the ${G} genes`);
  const cfg = parseLdvaeConfig({ ...(opts.config ?? {}), nHidden: H, nLatent: K, nLayers }, `${path} config`);
  const state = initState(backend, { G, H, K, nLayers }, new Rng(0));
  loadStateTensors(state, tensors, path);
  const prior = { mean: state.t.get('library_log_means')![0], variance: state.t.get('library_log_vars')![0] };
  return new LdvaeModel(backend, cfg, genes, state, [], prior, null, null);
}
