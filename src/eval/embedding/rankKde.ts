/**
 * The rank-prediction figure of GeneExprPredEval.visualize (spec §8.3): two panels, input rank vs
 * reconstructed rank and input rank vs mean rank, each a 2-D Gaussian KDE (scipy gaussian_kde,
 * Scott's bandwidth) of the joined rows of up to 100 sampled cells, drawn as a density image (SVG).
 */
import { Rng } from '../../data/index.js';
import { centredSums, type RankingRow } from './rankPredictionEval.js';

/**
 * scipy.stats.gaussian_kde(np.vstack([x, y]))(points) with bw_method 'scott': kernel covariance =
 * sample covariance (ddof 1) * n^(-1/3). Evaluated at every (gx[i], gy[j]); out[j * gx.length + i].
 * @returns null when the covariance is singular (scipy raises; e.g. a constant column)
 */
export function kde2d(x: ArrayLike<number>, y: ArrayLike<number>, gx: ArrayLike<number>, gy: ArrayLike<number>): Float64Array | null {
  const n = x.length;
  if (n < 2) return null;
  const { sxx, syy, sxy } = centredSums(x, y);
  const f2 = Math.pow(n, -2 / 6); // Scott factor n^(-1/(d+4)), squared, d = 2
  const a = (sxx / (n - 1)) * f2;
  const d = (syy / (n - 1)) * f2;
  const b = (sxy / (n - 1)) * f2;
  const det = a * d - b * b;
  if (!(det > 0)) return null;
  // inverse covariance [[d, -b], [-b, a]] / det
  const ia = d / det;
  const ib = -b / det;
  const id = a / det;
  const norm = 1 / (2 * Math.PI * Math.sqrt(det) * n);
  const out = new Float64Array(gx.length * gy.length);
  for (let j = 0; j < gy.length; j++) {
    for (let i = 0; i < gx.length; i++) {
      let s = 0;
      for (let k = 0; k < n; k++) {
        const u = gx[i] - x[k];
        const v = gy[j] - y[k];
        s += Math.exp(-0.5 * (ia * u * u + 2 * ib * u * v + id * v * v));
      }
      out[j * gx.length + i] = s * norm;
    }
  }
  return out;
}

// a short dark-to-light ramp (close to seaborn's mako_r: light = low density)
const RAMP = [
  [222, 245, 229],
  [134, 214, 176],
  [53, 165, 173],
  [56, 105, 160],
  [64, 54, 105],
  [11, 4, 5],
];
function color(t: number): string {
  const p = Math.min(1, Math.max(0, t)) * (RAMP.length - 1);
  const i = Math.min(RAMP.length - 2, Math.floor(p));
  const f = p - i;
  const c = RAMP[i].map((v, k) => Math.round(v + (RAMP[i + 1][k] - v) * f));
  return `rgb(${c[0]},${c[1]},${c[2]})`;
}

/**
 * SVG of the two KDE panels for the rows of up to `nCells` sampled cells (seeded).
 * @param grid density grid points per axis over [0, 1]
 */
export function rankKdeSvg(rows: readonly RankingRow[], opts: { nCells?: number; seed?: number; grid?: number; title?: string } = {}): string {
  const cellsAll = [...new Set(rows.map((r) => r.cell))];
  const want = Math.min(opts.nCells ?? 100, cellsAll.length);
  const pick = new Set(Array.from(new Rng(opts.seed ?? 0).sampleWithoutReplacement(cellsAll.length, want), (i) => cellsAll[i]));
  const sel = rows.filter((r) => pick.has(r.cell));
  const G = opts.grid ?? 50;
  const g = Array.from({ length: G }, (_, i) => i / (G - 1));
  const size = 300;
  const pad = 50;
  const cell = size / G;
  const panels: [string, (r: RankingRow) => number][] = [
    ['Geneformer reconstructed ranks', (r) => r.outputRank],
    ['mean ranks', (r) => r.meanRank],
  ];
  const parts: string[] = [];
  panels.forEach(([label, yOf], p) => {
    const x0 = pad + p * (size + pad);
    const dens = kde2d(sel.map((r) => r.inputRank), sel.map(yOf), g, g);
    const max = dens ? dens.reduce((m, v) => Math.max(m, v), 0) : 0;
    for (let j = 0; j < G; j++) {
      for (let i = 0; i < G; i++) {
        const v = dens && max > 0 ? dens[j * G + i] / max : 0;
        parts.push(`<rect x="${(x0 + i * cell).toFixed(2)}" y="${(pad + (G - 1 - j) * cell).toFixed(2)}" width="${(cell + 0.05).toFixed(2)}" height="${(cell + 0.05).toFixed(2)}" fill="${color(v)}"/>`);
    }
    }
    parts.push(`<rect x="${x0}" y="${pad}" width="${size}" height="${size}" fill="none" stroke="#333"/>`);
    parts.push(`<text x="${x0 + size / 2}" y="${pad + size + 32}" text-anchor="middle">input rank</text>`);
    parts.push(`<text x="${x0 - 30}" y="${pad + size / 2}" text-anchor="middle" transform="rotate(-90 ${x0 - 30} ${pad + size / 2})">${label}</text>`);
    for (const t of [0, 0.5, 1]) {
      parts.push(`<text x="${x0 + t * size}" y="${pad + size + 14}" text-anchor="middle" font-size="10">${t}</text>`);
      parts.push(`<text x="${x0 - 4}" y="${pad + (1 - t) * size + 3}" text-anchor="end" font-size="10">${t}</text>`);
    }
    if (!dens) parts.push(`<text x="${x0 + size / 2}" y="${pad + size / 2}" text-anchor="middle">(density undefined: constant values)</text>`);
  });
  const w = 2 * size + 3 * pad;
  const h = size + 2 * pad + 20;
  const title = opts.title ?? `Correlation between input and reconstructed and mean rankings (${want} cells)`;
  return (
    `<svg xmlns="http://www.w3.org/2000/svg" width="${w}" height="${h}" viewBox="0 0 ${w} ${h}" font-family="sans-serif" font-size="12">` +
    `<rect width="${w}" height="${h}" fill="white"/><text x="${w / 2}" y="24" text-anchor="middle" font-size="14">${title}</text>` +
    parts.join('') +
    '</svg>\n'
  );
}
