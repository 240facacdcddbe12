// Oracle values computed by test/fixtures/data/make_expected.py (scipy/numpy/pandas + ldvae_ref.py).
import { readFileSync } from 'node:fs';
import { fixture } from '../../support/paths.js';
export { fixture };

export interface MexFacts {
  shape: [number, number];
  nnz: number;
  sum: number;
  firstBarcode: string;
  lastBarcode: string;
  firstFeature: string[];
  lastFeature: string[];
  cellTotals: number[];
  geneTotals?: number[];
  entries: [number, number, number][];
}

export interface Expected {
  mex: Record<string, MexFacts>;
  qc_pbmc3k: { nMito: number; total: number[]; nGenes: number[]; mitoFraction: number[]; passDefault: number[] };
  norm_pbmc3k: { rowSums: number[]; rows: Record<string, { indices: number[]; data: number[] }> };
  hvg_pbmc3k: { '500': { indices: number[]; count: number }; '2000': { indices: number[]; count: number }; dispersionsNorm: (number | null)[] };
  hvg_v3chr21: Record<'100_nansel' | '480_nansel' | '480_nonan', number[]>;
}

export const expected: Expected = JSON.parse(readFileSync(fixture('data', 'expected.json'), 'utf8'));
