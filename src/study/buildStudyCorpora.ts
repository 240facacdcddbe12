/**
 * `scmix build`: the build stages of a study only (corpora/<corpus>/seed<k>/corpus.h5ad +
 * manifest.json in the run directory), through the same cache as `scmix run`.
 */
import type { ParsedStudy } from './parseStudy.js';
import { defaultStages } from './defaultStages.js';
import { runStudy, type RunOptions, type RunResult } from './runStudy.js';

export interface BuildOptions extends Omit<RunOptions, 'impls' | 'only' | 'job'> {
  corpora?: readonly string[];
  /** also write the evaluation sets (evalsets/) */
  evalsets?: boolean;
}

export function buildStudyCorpora(study: ParsedStudy, opts: BuildOptions = {}): Promise<RunResult> {
  return runStudy(study, {
    ...opts,
    impls: defaultStages(study),
    only: { corpus: opts.corpora, stage: opts.evalsets ? ['build', 'evalset'] : ['build'] },
  });
}
