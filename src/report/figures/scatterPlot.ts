import { axes, colorAt, esc, f, legend, linearScale, svgDoc, text } from '../svg.js';

export interface ScatterPanel {
  title: string;
  x: ArrayLike<number>;
  y: ArrayLike<number>;
  /** category per point (coloured, with a legend) */
  groups?: readonly string[];
  /** a note under the panel title, e.g. "r = 0.91, n = 500" */
  note?: string;
}

/**
 * Small-multiple scatter plots sharing one style: optional identity line (seed-vs-seed, observed
 * vs reconstructed), optional categorical colours with a shared legend (UMAPs), fixed or
 * data-driven axis limits. Points are drawn in input order; NaN points are skipped.
 */
export function scatterSvg(panels: ScatterPanel[], o: { title: string; xLabel: string; yLabel: string; identity?: boolean; limits?: [number, number]; square?: boolean; perRow?: number; size?: number; radius?: number; hideAxes?: boolean; categories?: string[] }): string {
  const perRow = Math.min(o.perRow ?? 5, Math.max(1, panels.length));
  const pw = o.size ?? 220;
  const ph = pw;
  const cats = o.categories ?? [...new Set(panels.flatMap((p) => (p.groups ? [...p.groups] : [])))].sort();
  const lg = cats.length ? legend(20, 0, cats.map((c, i) => ({ label: c, color: colorAt(i) })), { width: perRow * (pw + 70) - 20 }) : { svg: '', height: 0 };
  const top = lg.height ? 44 + lg.height + 34 : 52;
  const rows = Math.ceil(panels.length / perRow);
  const W = Math.max(perRow * (pw + 70) + 20, o.title.length * 8.6 + 40);
  const H = top + rows * (ph + 70) - 14;
  let s = text(16, 22, o.title, { size: 14, weight: 'bold' });
  if (lg.svg) s += `<g transform="translate(0 ${f(44)})">${lg.svg}</g>`;
  const r = o.radius ?? 1.8;
  panels.forEach((p, k) => {
    const ox = 60 + (k % perRow) * (pw + 70);
    const oy = top + Math.floor(k / perRow) * (ph + 70);
    let lo = o.limits?.[0] ?? Infinity;
    let hi = o.limits?.[1] ?? -Infinity;
    let ylo = lo;
    let yhi = hi;
    if (!o.limits) {
      for (let i = 0; i < p.x.length; i++) {
        if (!Number.isFinite(p.x[i]!) || !Number.isFinite(p.y[i]!)) continue;
        lo = Math.min(lo, p.x[i]!);
        hi = Math.max(hi, p.x[i]!);
        ylo = Math.min(ylo, p.y[i]!);
        yhi = Math.max(yhi, p.y[i]!);
      }
      if (!Number.isFinite(lo)) [lo, hi, ylo, yhi] = [0, 1, 0, 1];
      if (o.square || o.identity) {
        lo = Math.min(lo, ylo);
        hi = Math.max(hi, yhi);
        ylo = lo;
        yhi = hi;
      }
      const px = (hi - lo) * 0.04 || 1;
      const py = (yhi - ylo) * 0.04 || 1;
      lo -= px;
      hi += px;
      ylo -= py;
      yhi += py;
    }
    const x = linearScale(lo, hi, ox, ox + pw);
    const y = linearScale(ylo, yhi, oy + ph, oy);
    s += `<rect x="${f(ox)}" y="${f(oy - 22)}" width="${pw}" height="20" fill="#e3e3e3" stroke="#999" stroke-width="0.6"/>` + text(ox + pw / 2, oy - 8, p.title, { size: 11, anchor: 'middle' });
    if (o.hideAxes) s += `<rect x="${f(ox)}" y="${f(oy)}" width="${pw}" height="${ph}" fill="none" stroke="#999"/>`;
    else s += axes(x, y, { xLabel: k >= panels.length - perRow ? o.xLabel : undefined, yLabel: k % perRow === 0 ? o.yLabel : undefined });
    if (o.identity) s += `<line x1="${f(x(Math.max(lo, ylo)))}" y1="${f(y(Math.max(lo, ylo)))}" x2="${f(x(Math.min(hi, yhi)))}" y2="${f(y(Math.min(hi, yhi)))}" stroke="#888" stroke-width="1"/>`;
    let pts = '';
    for (let i = 0; i < p.x.length; i++) {
      const a = p.x[i]!;
      const b = p.y[i]!;
      if (!Number.isFinite(a) || !Number.isFinite(b)) continue;
      const col = p.groups ? colorAt(Math.max(0, cats.indexOf(p.groups[i]!))) : '#111';
      pts += `<circle cx="${f(x(a))}" cy="${f(y(b))}" r="${r}" fill="${col}" fill-opacity="0.75"/>`;
    }
    s += pts;
    if (p.note) s += text(ox + 6, oy + 14, p.note, { size: 10, fill: '#333' });
    if (o.hideAxes && k >= panels.length - perRow) s += text(ox + pw / 2, oy + ph + 16, esc(o.xLabel), { size: 11, anchor: 'middle', fill: '#555' });
  });
  return svgDoc(W, H, s, o.title);
}
