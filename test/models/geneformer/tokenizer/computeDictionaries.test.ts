import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { computeDictionaries, loadGeneformerDictionaries, writeDictionaries } from '../../../../src/models/geneformer/tokenizer/index.js';
import { csrFromDense } from './helpers.js';

test('computed medians on a toy matrix match a hand computation; tokens in sorted-id order after <pad>, <mask>', () => {
  // rows sum to 10, 20, 40 -> CP10k factor 1000, 500, 250
  const x = csrFromDense([
    [4, 0, 6, 0],
    [10, 5, 0, 5],
    [20, 0, 20, 0],
  ]);
  // gene ids: GZ, GA, GZ (duplicate id pooled), GQ (last column)
  const d = computeDictionaries([{ csr: x }], ['GZ', 'GA', 'GZ', 'GQ']);
  // GZ values: 4000, 6000 | 5000 | 5000, 5000 -> sorted 4000 5000 5000 5000 6000 -> 5000
  // GA: 2500 -> 2500 ; GQ: 2500
  assert.deepEqual(Object.fromEntries(d.medians), { GZ: 5000, GA: 2500, GQ: 2500 });
  assert.deepEqual(Object.fromEntries(d.tokens), { '<pad>': 0, '<mask>': 1, GA: 2, GQ: 3, GZ: 4 });
  // even count -> mean of the two middle values; undetected genes get no entry
  const e = computeDictionaries([{ csr: csrFromDense([[1, 1, 0], [3, 1, 0]]) }], ['A', 'B', 'C']);
  assert.deepEqual(Object.fromEntries(e.medians), { A: (5000 + 7500) / 2, B: (5000 + 2500) / 2 });
  // V2 layout reserves <cls>=2, <eos>=3
  const v2 = computeDictionaries([{ csr: x }], ['GZ', 'GA', 'GZ', 'GQ'], { variant: 'v2' });
  assert.equal(v2.tokens.get('<cls>'), 2);
  assert.equal(v2.tokens.get('GA'), 4);
  // given n_counts (obs) replace the row sums
  const f = computeDictionaries([{ csr: csrFromDense([[2, 0]]), nCounts: Float64Array.from([100]) }], ['A', 'B']);
  assert.equal(f.medians.get('A'), 200);
});

test('written JSON dictionaries load back identically', () => {
  const d = computeDictionaries([{ csr: csrFromDense([[3, 7, 1]]) }], ['G3', 'G1', 'G2']);
  const dir = mkdtempSync(join(tmpdir(), 'scmix-dict-'));
  try {
    writeDictionaries(dir, d);
    const back = loadGeneformerDictionaries(dir);
    assert.deepEqual([...back.tokens], [...d.tokens]);
    assert.deepEqual([...back.medians], [...d.medians]);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
