/**
 * The study's rules on real 10x data (the project's shared datasets): QC (total > 1000, MT-
 * fraction < 0.1 from X), symbol -> Ensembl mapping through another source's var (last duplicate
 * wins), gene intersection, and a built corpus. Oracles: numbers computed with scipy/numpy from
 * the same files (committed below), re-derived live when /usr/bin/python3 has scipy.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, symlinkSync, copyFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildCorpus, loadStudy, planStudy } from '../../src/study/index.js';
import { SHARED_ROOT as sharedRoot } from '../support/paths.js';

const DATA = sharedRoot + '/data';
const have = existsSync(join(DATA, 'pbmc3k_10x')) && existsSync(join(DATA, 'pbmc_10x_3chem_scwgparis'));
const skip = have ? false : `real datasets not found at ${DATA}`;

// scipy/numpy, on the same files: cells kept by the rule, and the first kept rows.
const ORACLE = {
  pbmc3k: { nCells: 2700, afterQc: 2547, first: [0, 1, 2, 3, 5] },
  pbmc_v3: { nCells: 906, afterQc: 376, first: [1, 2, 3, 4, 5] },
  // v3 symbols mapped through pbmc3k genes.tsv: 12464 of 14688 map, onto 12455 distinct ids.
  v3Mapped: 12464,
  intersection: 12455,
};

test('QC, mapping and intersection on pbmc3k + pbmc_1k_v3 match the numpy oracle', { skip }, async () => {
  const dir = mkdtempSync(join(tmpdir(), 'scmix-real-'));
  symlinkSync(DATA, join(dir, 'data'));
  copyFileSync(join(import.meta.dirname, '..', '..', 'presets', 'pbmc-mini.yaml'), join(dir, 'study.yaml'));
  const study = loadStudy(join(dir, 'study.yaml'));
  const plan = await planStudy(study, { corpora: ['PBMC+v3'] });
  try {
    for (const name of ['pbmc3k', 'pbmc_v3'] as const) {
      const p = plan.sources.get(name)!.prepared;
      assert.equal(p.nCells, ORACLE[name].nCells, name);
      assert.equal(p.afterQc, ORACLE[name].afterQc, name);
      assert.deepEqual(Array.from(p.passing.subarray(0, 5)), ORACLE[name].first, name);
    }
    const v3 = plan.sources.get('pbmc_v3')!.prepared;
    assert.equal(v3.geneIds.filter((x) => x !== null).length, ORACLE.v3Mapped);
    // genes: study = intersection over pbmc3k, pbmc_v3 and aml027 (all component sources).
    const only2 = new Set(plan.sources.get('pbmc3k')!.prepared.geneIds);
    const inter2 = new Set(v3.geneIds.filter((g): g is string => g !== null && only2.has(g)));
    assert.equal(inter2.size, ORACLE.intersection);
    const genes = plan.genes.get('PBMC+v3')!;
    assert.ok(genes.length <= inter2.size && genes.every((g) => inter2.has(g)));
    const { adata, manifest } = buildCorpus(plan, 'PBMC+v3', 0);
    assert.equal(adata.X.nRows, 1000 + 300);
    assert.equal(manifest.sources.pbmc_v3.afterQc, 376);
    assert.match(manifest.sources.pbmc3k.sha256, /^[0-9a-f]{64}$/);
  } finally {
    plan.close();
  }
});

const py = spawnSync('/usr/bin/python3', ['-c', 'import scipy, numpy'], { encoding: 'utf8' });
test('live numpy check of the QC oracle', { skip: skip || (py.status !== 0 ? 'python3 scipy not installed (/usr/bin/python3)' : false) }, () => {
  const script = `
import scipy.io, gzip, numpy as np, json
d = '${DATA}/pbmc_10x_3chem_scwgparis/1k_PBMC_v3_filt_mtx'
X = scipy.io.mmread(gzip.open(d + '/matrix.mtx.gz')).T.tocsr()
sym = np.array([l.decode().rstrip('\\n').split('\\t')[1] for l in gzip.open(d + '/features.tsv.gz')])
tot = np.asarray(X.sum(1)).ravel(); mt = np.asarray(X[:, np.char.startswith(sym, 'MT-')].sum(1)).ravel()
keep = (tot > 1000) & (mt / tot < 0.1)
print(json.dumps({"n": int(keep.sum()), "first": np.flatnonzero(keep)[:5].tolist()}))
`;
  const r = spawnSync('/usr/bin/python3', ['-c', script], { encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
  assert.deepEqual(JSON.parse(r.stdout), { n: ORACLE.pbmc_v3.afterQc, first: ORACLE.pbmc_v3.first });
});
