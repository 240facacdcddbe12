import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync, copyFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadGeneformerDictionaries, readPickleDict } from '../../../../src/models/geneformer/tokenizer/index.js';
import { ScmixError } from '../../../../src/errors.js';

// Pickles written by /usr/bin/python3 (test/fixtures/tokenizer/make_fixtures.py).
const FIX = 'test/fixtures/tokenizer';
const expected = JSON.parse(readFileSync(join(FIX, 'dict_expected.json'), 'utf8')) as { dict: Record<string, number>; names: Record<string, string> };

for (const p of [2, 4, 5]) {
  test(`protocol ${p} pickle of numpy int16/float64 scalars and plain ints decodes exactly`, () => {
    const m = readPickleDict(readFileSync(join(FIX, `dict_p${p}.pkl`)), `dict_p${p}.pkl`);
    assert.deepEqual(Object.fromEntries(m), expected.dict);
    assert.deepEqual([...m.keys()], Object.keys(expected.dict));
  });
}

test('str -> str pickle (gene_name_id_dict shape), non-ASCII keys', () => {
  const m = readPickleDict(readFileSync(join(FIX, 'names_p4.pkl')), 'names_p4.pkl');
  assert.deepEqual(Object.fromEntries(m), expected.names);
});

test('refuses other globals, non-dict tops, truncation and unknown formats with INPUT_FORMAT', () => {
  const isFormat = (re: RegExp) => (e: unknown) => e instanceof ScmixError && e.code === 'INPUT_FORMAT' && re.test(e.message);
  assert.throws(() => readPickleDict(readFileSync(join(FIX, 'bad_global.pkl')), 'bad_global.pkl'), isFormat(/bad_global\.pkl.*collections\.OrderedDict/));
  assert.throws(() => readPickleDict(readFileSync(join(FIX, 'bad_list.pkl')), 'bad_list.pkl'), isFormat(/bad_list\.pkl/));
  const good = readFileSync(join(FIX, 'dict_p4.pkl'));
  assert.throws(() => readPickleDict(good.subarray(0, good.length - 20), 't.pkl'), isFormat(/t\.pkl/));
  assert.throws(() => readPickleDict(Buffer.from('not a pickle'), 'x.pkl'), isFormat(/x\.pkl/));
  const dir = mkdtempSync(join(tmpdir(), 'scmix-dict-'));
  try {
    writeFileSync(join(dir, 'token_dictionary.csv'), 'a,1\n');
    writeFileSync(join(dir, 'gene_median_dictionary.json'), '{}');
    assert.throws(() => loadGeneformerDictionaries(dir), isFormat(/token_dictionary\.csv.*unknown dictionary format/));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('a dictionary folder of pickles loads and is validated (<pad>=0, <mask>=1, medians for every gene)', () => {
  const dir = mkdtempSync(join(tmpdir(), 'scmix-dict-'));
  try {
    // token ids 0..3 + medians from the JSON form; names from the pickle
    writeFileSync(join(dir, 'token_dictionary.json'), JSON.stringify({ '<pad>': 0, '<mask>': 1, ENSG00000000003: 2, ENSG00000000005: 3 }));
    writeFileSync(join(dir, 'gene_median_dictionary.json'), JSON.stringify({ ENSG00000000003: 2.5, ENSG00000000005: 0.1 }));
    copyFileSync(join(FIX, 'names_p4.pkl'), join(dir, 'gene_name_id_dict.pkl'));
    const d = loadGeneformerDictionaries(dir);
    assert.equal(d.vocabSize, 4);
    assert.equal(d.nameToId?.get('TNMD'), 'ENSG00000000005');
    assert.match(d.files.nameToId!.sha256, /^[0-9a-f]{64}$/);
    writeFileSync(join(dir, 'gene_median_dictionary.json'), JSON.stringify({ ENSG00000000003: 2.5 }));
    assert.throws(() => loadGeneformerDictionaries(dir), (e: unknown) => e instanceof ScmixError && e.code === 'INPUT_VALUE' && /ENSG00000000005.*no median/.test(e.message));
    writeFileSync(join(dir, 'token_dictionary.json'), JSON.stringify({ '<pad>': 1, '<mask>': 0 }));
    assert.throws(() => loadGeneformerDictionaries(dir), (e: unknown) => e instanceof ScmixError && e.code === 'INPUT_VALUE' && /<pad>/.test(e.message));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
