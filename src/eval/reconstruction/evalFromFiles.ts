import { existsSync } from 'node:fs';
import { basename, join } from 'node:path';
import { createBackend } from '../../engine/index.js';
import { ScmixError } from '../../errors.js';
import { openH5ad } from '../../io/index.js';
import { loadLdvae } from '../../models/ldvae/index.js';
import type { ReconstructionOptions, ReconstructionProgress } from './evaluateReconstruction.js';
import { evalSourceFromReader } from './evalSource.js';
import { runReconstructionEval, type EvalMeta, type EvalSummaryJson } from './writeEvaluation.js';

/**
 * File-level entry point (what `scmix eval` and the study runner call): load the LDVAE
 * checkpoint in `modelDir`, stream the eval h5ad in row blocks, write the grid cell's outputs
 * into `outDir` (see runReconstructionEval).
 * `meta` fields default to: model 'ldvae', corpus = checkpoint folder name, evalSet = file stem.
 * @throws INPUT_MISSING (model dir / eval file), GENES_MISMATCH, NOT_ENOUGH_CELLS, INPUT_FORMAT
 */
export async function evaluateModelOnFile(args: {
  modelDir: string;
  evalPath: string;
  outDir: string;
  meta?: Partial<EvalMeta>;
  options?: Partial<ReconstructionOptions>;
  onProgress?: (p: ReconstructionProgress) => void;
  threads?: number;
}): Promise<EvalSummaryJson> {
  if (!existsSync(args.evalPath)) throw new ScmixError('INPUT_MISSING', `${args.evalPath}: eval set not found`);
  if (!existsSync(join(args.modelDir, 'model.json'))) throw new ScmixError('INPUT_MISSING', `${args.modelDir}: no model.json (not an LDVAE checkpoint folder)`);
  const backend = await createBackend({ kind: 'auto', threads: args.threads ?? 1 });
  const model = loadLdvae(args.modelDir, { backend });
  const reader = await openH5ad(args.evalPath);
  try {
    const evalSet = evalSourceFromReader(reader, basename(args.evalPath).replace(/\.h5ad$/, ''), { path: args.evalPath });
    const seed = args.meta?.seed ?? args.options?.seed ?? 0;
    const meta: EvalMeta = {
      model: args.meta?.model ?? 'ldvae',
      corpus: args.meta?.corpus ?? basename(args.modelDir),
      seed,
      evalSet: args.meta?.evalSet ?? evalSet.name,
      modelDir: args.modelDir,
      corpusManifest: args.meta?.corpusManifest,
    };
    return await runReconstructionEval({ model, evalSet, outDir: args.outDir, meta, options: { seed, ...args.options }, onProgress: args.onProgress });
  } finally {
    reader.close();
  }
}
