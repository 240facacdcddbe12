/** Shared test setup: a small simulated atlas served from memory under study-relative paths. */
import { mkdtempSync, mkdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { simulateAtlas, type SimulatedAtlas } from '../../src/simulate/index.js';
import { ScmixError } from '../../src/errors.js';
import { cellSourceFromAnnData, parseStudyText, type CellSource, type ParsedStudy, type StageImpls } from '../../src/study/index.js';

let cached: SimulatedAtlas | undefined;
/** scale 0.3, 200 genes: about 4k cells; built once per test file. */
export function smallAtlas(): SimulatedAtlas {
  cached ??= simulateAtlas({ seed: 1, scale: 0.3, nGenes: 200 });
  return cached;
}

/** A temp folder with empty placeholder files for every atlas source (+ the real GCT). */
export function atlasDir(atlas = smallAtlas()): string {
  const dir = mkdtempSync(join(tmpdir(), 'scmix-study-'));
  mkdirSync(join(dir, 'atlas'));
  for (const name of atlas.sources.keys()) writeFileSync(join(dir, 'atlas', `${name}.h5ad`), '');
  writeFileSync(join(dir, 'atlas', 'gtex_median_tpm.gct'), atlas.gct);
  return dir;
}

export function memorySources(atlas = smallAtlas()) {
  return async (_name: string, path: string): Promise<CellSource> => {
    const a = atlas.sources.get(basename(path, '.h5ad'));
    if (!a) throw new Error(`no simulated source for ${path}`);
    return cellSourceFromAnnData(a);
  };
}

export function studyIn(dir: string, yaml: string): ParsedStudy {
  writeFileSync(join(dir, 'study.yaml'), yaml);
  return parseStudyText(yaml, join(dir, 'study.yaml'), dir);
}

/**
 * The stages with training killed (an INTERRUPTED error from its progress callback, as a signal
 * would stop it) once `unit` progress reaches `at`: what the resume tests recover from.
 */
export function killingAt(impls: StageImpls, unit: 'epochs' | 'steps', at: number): StageImpls {
  return {
    ...impls,
    train: (a) =>
      impls.train({
        ...a,
        onProgress: (done, total, u, extra) => {
          a.onProgress(done, total, u, extra);
          if (u === unit && done === at) throw new ScmixError('INTERRUPTED', `killed at ${unit} ${at}`);
        },
      }),
  };
}

/** A compact study on the small atlas (sizes fit scale 0.3). */
export const MINI = `name: mini
seeds: [0, 1]
sources:
  blood:
    path: atlas/blood.h5ad
    genes: { ids: index, symbols: feature_name }
    filters:
      - { column: disease, equals: normal }
  bone_marrow:
    path: atlas/bone_marrow.h5ad
    genes: { ids: index, symbols: feature_name }
  k562:
    path: atlas/k562.h5ad
    genes: { ids: index, symbols: gene_name }
    filters: [{ column: gene, notEquals: non-targeting }]
    qc: { totalCountsColumn: UMI_count, mitoFractionColumn: mitopercent }
  cca:
    path: atlas/cca_hematologic.h5ad
    genes: { symbols: index, mapSymbolsFrom: blood }
    filters:
      - { column: cell_type, equals: Malignant }
      - { column: study, notIn: [vanGalen2019sim] }
  brain:
    path: atlas/brain.h5ad
    genes: { ids: index, symbols: Gene }
components:
  b1: { source: blood, size: 200, split: { parts: 2, part: 0 } }
  b2: { source: blood, size: 200, split: { parts: 2, part: 1 } }
  bm: { source: bone_marrow, size: all }
  k: { source: k562, size: 100 }
  cca: { source: cca, size: 150 }
corpora:
  Blood: [b1]
  Blood+Blood: [b1, b2]
  Blood+BM: [b1, bm]
  Blood+K562: [b1, k]
  Blood+Cancer: [b1, cca]
evaluations:
  Neurons: { source: brain, size: 50 }
`;
