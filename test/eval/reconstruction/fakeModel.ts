import type { Csr } from '../../../src/io/index.js';
import type { ReconstructionModel } from '../../../src/eval/reconstruction/index.js';

/**
 * A model implementing the LDVAE contract with a closed-form "decoder": the reconstruction of a
 * cell is a fixed mixture of its own observed frequencies and a global profile, so tests can
 * compute the expected r by hand. latent = first two observed frequencies.
 */
export function fakeModel(genes: string[], profile: number[], mix = 0.5): ReconstructionModel & { calls: number } {
  const G = genes.length;
  const m = {
    genes,
    calls: 0,
    normalizedExpression(csr: Csr, o: { librarySize: number }) {
      m.calls++;
      const out = new Float32Array(csr.nRows * G);
      for (let r = 0; r < csr.nRows; r++) {
        let tot = 0;
        for (let k = csr.indptr[r]!; k < csr.indptr[r + 1]!; k++) tot += csr.data[k]!;
        const freq = new Float64Array(G);
        for (let k = csr.indptr[r]!; k < csr.indptr[r + 1]!; k++) freq[csr.indices[k]!] = tot > 0 ? csr.data[k]! / tot : 0;
        for (let g = 0; g < G; g++) out[r * G + g] = (mix * freq[g]! + (1 - mix) * profile[g]!) * o.librarySize;
      }
      return out;
    },
    latent(csr: Csr) {
      const out = new Float32Array(csr.nRows * 2);
      for (let r = 0; r < csr.nRows; r++) {
        for (let k = csr.indptr[r]!; k < csr.indptr[r + 1]!; k++) if (csr.indices[k]! < 2) out[r * 2 + csr.indices[k]!] = csr.data[k]!;
      }
      return out;
    },
    loadings() {
      const L = new Float32Array(G * 2);
      for (let g = 0; g < G; g++) {
        L[g * 2] = g;
        L[g * 2 + 1] = -g;
      }
      return L;
    },
    history: [{ epoch: 0, elbo_train: 10 }, { epoch: 1, elbo_train: 8 }],
  };
  return m;
}

/** A dense counts matrix as an AnnData-like eval source input. */
export function csrFromDense(rows: number[][]): Csr {
  const indptr = [0];
  const indices: number[] = [];
  const data: number[] = [];
  for (const row of rows) {
    row.forEach((v, j) => {
      if (v !== 0) {
        indices.push(j);
        data.push(v);
      }
    });
    indptr.push(indices.length);
  }
  return { nRows: rows.length, nCols: rows[0]?.length ?? 0, indptr: Int32Array.from(indptr), indices: Int32Array.from(indices), data: Float32Array.from(data) };
}
