import { axes, colorAt, esc, f, legend, linearScale, svgDoc, text } from '../svg.js';

export interface DistributionPanel {
  evalSet: string;
  /** per corpus: finite per-cell r2 values (any order) */
  series: { corpus: string; values: Float64Array }[];
}

const q = (s: Float64Array, p: number) => {
  if (s.length === 0) return NaN;
  const pos = p * (s.length - 1);
  const lo = Math.floor(pos);
  const hi = Math.min(s.length - 1, lo + 1);
  return s[lo]! + (s[hi]! - s[lo]!) * (pos - lo);
};

/**
 * Per-cell r2 distributions: one panel per eval set, one box per training corpus (box = quartiles,
 * bar = median, whiskers = 5th-95th percentile, dot = mean), colours by corpus as in the legend.
 */
export function distributionsSvg(panels: DistributionPanel[], corpora: string[], title: string): string {
  const perRow = Math.min(3, Math.max(1, panels.length));
  const bw = 16;
  const pw = Math.max(180, corpora.length * (bw + 8) + 60);
  const ph = 220;
  const rows = Math.ceil(panels.length / perRow);
  const lg = legend(20, 0, corpora.map((c, i) => ({ label: c, color: colorAt(i) })), { width: perRow * pw - 20 });
  const top = 44 + lg.height;
  const W = Math.max(perRow * pw + 30, title.length * 8.6 + 40);
  const H = top + rows * (ph + 40) - 30;
  let s = text(16, 22, title, { size: 14, weight: 'bold' }) + `<g transform="translate(0 ${f(40)})">${lg.svg}</g>`;
  panels.forEach((p, k) => {
    const ox = 50 + (k % perRow) * pw;
    const oy = top + Math.floor(k / perRow) * (ph + 40);
    const x = linearScale(0, corpora.length, ox + 6, ox + pw - 30);
    const y = linearScale(0, 1, oy + ph - 20, oy + 10);
    s += text(ox + (pw - 30) / 2, oy + 2, p.evalSet, { size: 12, anchor: 'middle', weight: 'bold' });
    s += axes(x, y, { xTicks: [], yTicks: [0, 0.25, 0.5, 0.75, 1], yLabel: k % perRow === 0 ? 'per-cell r²' : undefined });
    for (const ser of p.series) {
      const i = corpora.indexOf(ser.corpus);
      if (i < 0 || ser.values.length === 0) continue;
      const v = Float64Array.from(ser.values).sort();
      const cx = x(i + 0.5);
      const col = colorAt(i);
      const [q05, q25, q50, q75, q95] = [0.05, 0.25, 0.5, 0.75, 0.95].map((pp) => q(v, pp)) as [number, number, number, number, number];
      let mean = 0;
      for (const t of v) mean += t;
      mean /= v.length;
      const tip = `${p.evalSet} / ${ser.corpus}: n=${v.length}, median ${q50.toFixed(3)}, IQR ${q25.toFixed(3)}-${q75.toFixed(3)}, mean ${mean.toFixed(3)}`;
      s += `<g><title>${esc(tip)}</title>`;
      s += `<line x1="${f(cx)}" x2="${f(cx)}" y1="${f(y(q05))}" y2="${f(y(q95))}" stroke="${col}" stroke-width="1.2"/>`;
      s += `<rect x="${f(cx - bw / 2)}" y="${f(y(q75))}" width="${bw}" height="${f(Math.max(1, y(q25) - y(q75)))}" fill="${col}" fill-opacity="0.35" stroke="${col}" stroke-width="1.2"/>`;
      s += `<line x1="${f(cx - bw / 2)}" x2="${f(cx + bw / 2)}" y1="${f(y(q50))}" y2="${f(y(q50))}" stroke="#111" stroke-width="2"/>`;
      s += `<circle cx="${f(cx)}" cy="${f(y(mean))}" r="2.2" fill="#fff" stroke="#111"/></g>`;
    }
  });
  return svgDoc(W, H, s, title);
}
