import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { AnnData } from '../../src/io/index.js';
import { evalSourceFromAnnData, runReconstructionEval } from '../../src/eval/index.js';
import { Rng } from '../../src/data/rng.js';
import { csrFromDense, fakeModel } from '../eval/reconstruction/fakeModel.js';

/**
 * A small run directory shaped like `scmix run` output (docs/ARCHITECTURE.md), built with fake
 * models whose reconstruction quality per (corpus, eval set) follows a given table, so report
 * tests have known numbers. Eval sets: 60 cells x 40 genes of seeded Poisson-like counts.
 */
export async function makeRunDir(dir: string, opts: { corpora: Record<string, string[]>; evalSets: string[]; seeds: number[]; quality: (corpus: string, evalSet: string) => number; skip?: (corpus: string, evalSet: string, seed: number) => boolean }): Promise<void> {
  const genes = Array.from({ length: 40 }, (_, j) => `G${j}`);
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'study.resolved.json'), JSON.stringify({ config: { name: 'toy', corpora: opts.corpora, evaluations: Object.fromEntries(opts.evalSets.map((e) => [e, { source: e }])), seeds: opts.seeds, models: { ldvae: { kind: 'ldvae' } } } }));
  const sets = new Map<string, AnnData>();
  opts.evalSets.forEach((ev, k) => {
    const rng = new Rng(100 + k);
    const types = ['T', 'B', 'Mono'];
    const ct: string[] = [];
    const rows = Array.from({ length: 60 }, (_, i) => {
      const t = i % 3;
      ct.push(types[t]!);
      return genes.map((_, j) => Math.floor(rng.uniform() * (j % 3 === t ? 12 : 3) * (1 + ((j + k) % 5))));
    });
    sets.set(ev, {
      X: csrFromDense(rows),
      obs: { index: rows.map((_, i) => `${ev}_c${i}`), columns: new Map([['cell_type', { kind: 'categorical', codes: Int32Array.from(ct.map((c) => types.indexOf(c))), categories: types, ordered: false }]]) },
      var: { index: genes, columns: new Map() },
      layers: new Map(),
      obsm: new Map(),
      varm: new Map(),
      uns: {},
    });
  });
  const profile = genes.map((_, j) => (1 + (j % 7)) / genes.reduce((s, _g, jj) => s + 1 + (jj % 7), 0));
  for (const corpus of Object.keys(opts.corpora)) {
    for (const seed of opts.seeds) {
      const mdir = join(dir, 'models', 'ldvae', corpus, `seed${seed}`);
      mkdirSync(mdir, { recursive: true });
      const hist = Array.from({ length: 12 }, (_, e) => ({ epoch: e, elbo_train: 900 / (1 + e) + 300 + corpus.length * 3 + seed, elbo_validation: e % 3 === 0 ? 950 / (1 + e) + 320 : undefined }));
      writeFileSync(join(mdir, 'history.json'), JSON.stringify(hist));
      writeFileSync(join(mdir, 'model.json'), JSON.stringify({ config: { nLatent: 10, epochs: 12 }, genes: genes.length }));
      const cdir = join(dir, 'corpora', corpus, `seed${seed}`);
      mkdirSync(cdir, { recursive: true });
      writeFileSync(join(cdir, 'manifest.json'), JSON.stringify({ components: opts.corpora[corpus], nCells: 1000, seed }));
      for (const ev of opts.evalSets) {
        if (opts.skip?.(corpus, ev, seed)) continue;
        const q = opts.quality(corpus, ev) + seed * 0.01;
        await runReconstructionEval({
          model: fakeModel(genes, profile, q),
          evalSet: evalSourceFromAnnData(sets.get(ev)!, ev),
          outDir: join(dir, 'evals', 'ldvae', corpus, `seed${seed}`, ev),
          meta: { model: 'ldvae', corpus, seed, evalSet: ev, modelDir: mdir, corpusManifest: join(cdir, 'manifest.json') },
          options: { nTopGenes: 20, sample: false, seed },
          knnK: 5,
        });
      }
    }
  }
}
