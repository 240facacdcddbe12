/**
 * New dictionaries from a corpus: per gene the exact median of its non-zero CP10k values
 * (x / n_counts * 10,000 over the cells where x > 0), and token ids in ascending gene-id order after
 * <pad>=0, <mask>=1 (and <cls>=2, <eos>=3 for V2). Geneformer used a t-digest per gene; the exact
 * median is what the t-digest approximates. Genes never detected get no median and no token.
 */
import { ScmixError } from '../../../errors.js';
import type { Csr } from '../../../io/index.js';
import { buildDictionaries, type GeneformerDictionaries } from './dictionaries.js';

/** Collects the non-zero CP10k values of every gene over streamed blocks. */
export interface MedianAccumulator {
  /**
   * Add a block of cells (cells x genes, the corpus's columns).
   * @param nCounts [B] total counts per cell; default the row sums of the block
   */
  addBlock(csr: Csr, nCounts?: Float64Array): void;
  /** Medians per gene id (ids with duplicate columns are pooled); undetected genes left out. */
  medians(): Map<string, number>;
}

/** Start an accumulator for these gene ids (one per column, file order). */
export function createMedianAccumulator(geneIds: readonly string[]): MedianAccumulator {
  const slotIndex = new Map<string, number>();
  const slotOf = new Int32Array(geneIds.length);
  geneIds.forEach((id, g) => {
    let s = slotIndex.get(id);
    if (s === undefined) {
      s = slotIndex.size;
      slotIndex.set(id, s);
    }
    slotOf[g] = s;
  });
  const values: Float64Array[] = Array.from({ length: slotIndex.size }, () => new Float64Array(0));
  const counts = new Int32Array(slotIndex.size);
  return {
    addBlock(csr, nCounts) {
      if (csr.nCols !== geneIds.length) throw new ScmixError('SHAPE_MISMATCH', `block has ${csr.nCols} genes, expected ${geneIds.length}`);
      for (let r = 0; r < csr.nRows; r++) {
        const p0 = csr.indptr[r];
        const p1 = csr.indptr[r + 1];
        let n = nCounts ? nCounts[r] : 0;
        if (!nCounts) for (let p = p0; p < p1; p++) n += csr.data[p];
        if (!(n > 0)) continue;
        for (let p = p0; p < p1; p++) {
          const x = csr.data[p];
          if (x === 0) continue;
          const s = slotOf[csr.indices[p]];
          let v = values[s];
          if (counts[s] === v.length) {
            const grown = new Float64Array(Math.max(8, v.length * 2));
            grown.set(v);
            values[s] = v = grown;
          }
          // divide, then scale: the same operation order as x / n * 1e4 in NumPy
          v[counts[s]++] = (x / n) * 1e4;
        }
      }
    },
    medians() {
      const out = new Map<string, number>();
      for (const [id, s] of slotIndex) {
        const n = counts[s];
        if (n === 0) continue;
        const v = values[s].subarray(0, n).sort();
        out.set(id, n % 2 ? v[(n - 1) / 2] : (v[n / 2 - 1] + v[n / 2]) / 2);
      }
      return out;
    },
  };
}

/**
 * Token dictionary for a median dictionary: specials first, then genes sorted by id (code-point
 * order, as Python's sorted()).
 */
export function tokenDictionaryFor(medians: ReadonlyMap<string, number>, variant: 'v1' | 'v2' = 'v1'): Map<string, number> {
  const tokens = new Map<string, number>([
    ['<pad>', 0],
    ['<mask>', 1],
  ]);
  if (variant === 'v2') {
    tokens.set('<cls>', 2);
    tokens.set('<eos>', 3);
  }
  const genes = [...medians.keys()].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  for (const g of genes) tokens.set(g, tokens.size);
  return tokens;
}

/**
 * Compute dictionaries from streamed blocks of a corpus.
 * @param blocks cells x genes raw-count blocks, columns = geneIds
 * @throws INPUT_VALUE when no gene is ever detected
 */
export function computeDictionaries(
  blocks: Iterable<{ csr: Csr; nCounts?: Float64Array }>,
  geneIds: readonly string[],
  opts: { variant?: 'v1' | 'v2'; source?: string } = {},
): GeneformerDictionaries {
  const acc = createMedianAccumulator(geneIds);
  for (const b of blocks) acc.addBlock(b.csr, b.nCounts);
  return dictionariesFromMedians(acc.medians(), opts);
}

/** Assemble validated dictionaries from computed medians. */
export function dictionariesFromMedians(medians: Map<string, number>, opts: { variant?: 'v1' | 'v2'; source?: string } = {}): GeneformerDictionaries {
  if (medians.size === 0) throw new ScmixError('INPUT_VALUE', `${opts.source ?? 'corpus'}: no gene has a non-zero count; cannot compute dictionaries`);
  const tokens = tokenDictionaryFor(medians, opts.variant ?? 'v1');
  const src = opts.source ?? 'computed';
  return buildDictionaries(tokens, medians, undefined, {
    tokens: { file: `${src} (computed token_dictionary)`, sha256: '' },
    medians: { file: `${src} (computed gene_median_dictionary)`, sha256: '' },
  });
}

/** The JSON files of a dictionary set, as written next to a token dataset or by `writeDictionaries`. */
export function dictionaryJsonFiles(d: GeneformerDictionaries): Record<string, string> {
  const files: Record<string, string> = {
    'token_dictionary.json': JSON.stringify(Object.fromEntries(d.tokens)) + '\n',
    'gene_median_dictionary.json': JSON.stringify(Object.fromEntries(d.medians)) + '\n',
  };
  if (d.nameToId) files['gene_name_id_dict.json'] = JSON.stringify(Object.fromEntries(d.nameToId)) + '\n';
  return files;
}
