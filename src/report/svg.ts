/**
 * Minimal SVG building blocks for the report figures: escaping, scales, ticks, axes, colour
 * scales and a palette. Figures are plain strings, so they inline into report.html and render to
 * PNG with resvg unchanged. Text uses a system sans font (DejaVu Sans on Debian).
 */
export const FONT = "DejaVu Sans, Arial, Helvetica, sans-serif";

export const esc = (s: string): string => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');

/** Rounded numeric attribute (keeps the SVG small and byte-deterministic). */
export const f = (v: number): string => (Number.isFinite(v) ? String(Math.round(v * 100) / 100) : '0');

export function svgDoc(width: number, height: number, body: string, title: string): string {
  return (
    `<svg xmlns="http://www.w3.org/2000/svg" width="${f(width)}" height="${f(height)}" viewBox="0 0 ${f(width)} ${f(height)}" font-family="${FONT}" role="img" aria-label="${esc(title)}">` +
    `<title>${esc(title)}</title><rect width="100%" height="100%" fill="#ffffff"/>${body}</svg>`
  );
}

export function text(x: number, y: number, s: string, o: { size?: number; anchor?: 'start' | 'middle' | 'end'; weight?: string; rotate?: number; fill?: string; baseline?: string; italic?: boolean } = {}): string {
  const rot = o.rotate ? ` transform="rotate(${o.rotate} ${f(x)} ${f(y)})"` : '';
  return `<text x="${f(x)}" y="${f(y)}" font-size="${o.size ?? 12}" text-anchor="${o.anchor ?? 'start'}"${o.weight ? ` font-weight="${o.weight}"` : ''}${o.italic ? ' font-style="italic"' : ''}${o.baseline ? ` dominant-baseline="${o.baseline}"` : ''} fill="${o.fill ?? '#222'}"${rot}>${esc(s)}</text>`;
}

export interface Scale {
  (v: number): number;
  domain: [number, number];
  range: [number, number];
  log: boolean;
}

export function linearScale(d0: number, d1: number, r0: number, r1: number): Scale {
  const span = d1 - d0 || 1;
  const s = ((v: number) => r0 + ((v - d0) / span) * (r1 - r0)) as Scale;
  s.domain = [d0, d1];
  s.range = [r0, r1];
  s.log = false;
  return s;
}

export function logScale(d0: number, d1: number, r0: number, r1: number): Scale {
  const l0 = Math.log10(d0);
  const l1 = Math.log10(d1);
  const s = ((v: number) => r0 + ((Math.log10(Math.max(v, d0)) - l0) / (l1 - l0 || 1)) * (r1 - r0)) as Scale;
  s.domain = [d0, d1];
  s.range = [r0, r1];
  s.log = true;
  return s;
}

/** About `n` round tick values covering [a, b]. */
export function niceTicks(a: number, b: number, n = 5): number[] {
  if (!(b > a)) return [a];
  const raw = (b - a) / n;
  const p = Math.pow(10, Math.floor(Math.log10(raw)));
  const m = raw / p;
  const step = (m >= 5 ? 10 : m >= 2 ? 5 : m >= 1.5 ? 2 : 1) * p;
  const out: number[] = [];
  for (let v = Math.ceil(a / step - 1e-9) * step; v <= b + step * 1e-9; v += step) out.push(Math.round(v / step) * step);
  return out;
}

export const fmtTick = (v: number): string => {
  const a = Math.abs(v);
  if (a !== 0 && (a >= 1e5 || a < 1e-3)) return v.toExponential(0);
  return String(Number(v.toPrecision(6)));
};

/** Left and bottom axes with ticks, light grid lines and labels. */
export function axes(x: Scale, y: Scale, o: { xLabel?: string; yLabel?: string; xTicks?: number[]; yTicks?: number[]; grid?: boolean; size?: number } = {}): string {
  const [x0, x1] = x.range;
  const [y0, y1] = y.range; // y0 bottom, y1 top
  const xt = o.xTicks ?? (x.log ? logTicks(x.domain) : niceTicks(x.domain[0], x.domain[1]));
  const yt = o.yTicks ?? (y.log ? logTicks(y.domain) : niceTicks(y.domain[0], y.domain[1]));
  const fs = o.size ?? 11;
  let s = '';
  if (o.grid !== false) {
    for (const t of xt) s += `<line x1="${f(x(t))}" x2="${f(x(t))}" y1="${f(y0)}" y2="${f(y1)}" stroke="#eee"/>`;
    for (const t of yt) s += `<line x1="${f(x0)}" x2="${f(x1)}" y1="${f(y(t))}" y2="${f(y(t))}" stroke="#eee"/>`;
  }
  s += `<line x1="${f(x0)}" x2="${f(x1)}" y1="${f(y0)}" y2="${f(y0)}" stroke="#444"/><line x1="${f(x0)}" x2="${f(x0)}" y1="${f(y0)}" y2="${f(y1)}" stroke="#444"/>`;
  for (const t of xt) s += `<line x1="${f(x(t))}" x2="${f(x(t))}" y1="${f(y0)}" y2="${f(y0 + 4)}" stroke="#444"/>` + text(x(t), y0 + 15, fmtTick(t), { size: fs - 1, anchor: 'middle' });
  for (const t of yt) s += `<line x1="${f(x0 - 4)}" x2="${f(x0)}" y1="${f(y(t))}" y2="${f(y(t))}" stroke="#444"/>` + text(x0 - 6, y(t) + 4, fmtTick(t), { size: fs - 1, anchor: 'end' });
  if (o.xLabel) s += text((x0 + x1) / 2, y0 + 32, o.xLabel, { size: fs + 1, anchor: 'middle' });
  if (o.yLabel) s += text(x0 - 42, (y0 + y1) / 2, o.yLabel, { size: fs + 1, anchor: 'middle', rotate: -90 });
  return s;
}

function logTicks([a, b]: [number, number]): number[] {
  const out: number[] = [];
  for (let e = Math.floor(Math.log10(a)); e <= Math.ceil(Math.log10(b)); e++) {
    const v = Math.pow(10, e);
    if (v >= a * 0.999 && v <= b * 1.001) out.push(v);
  }
  return out.length >= 2 ? out : [a, b];
}

/**
 * Diverging colour for log2FC in [-lim, lim]: blue (worse) - white - green (better), the
 * SuppFig1A scheme. NaN -> light grey.
 */
export function divergingColor(v: number | null, lim = 5): string {
  if (v === null || !Number.isFinite(v)) return '#e6e6e6';
  const t = Math.max(-1, Math.min(1, v / lim));
  const lo = [91, 155, 213]; // #5b9bd5 blue
  const hi = [84, 139, 47]; // #548b2f green
  const c = t < 0 ? lo : hi;
  const a = Math.pow(Math.abs(t), 0.8);
  const mix = (i: number) => Math.round(255 + (c[i]! - 255) * a);
  return `rgb(${mix(0)},${mix(1)},${mix(2)})`;
}

/** Okabe-Ito plus extra distinct colours (colour-blind friendly first 8). */
export const PALETTE = ['#0072B2', '#E69F00', '#009E73', '#D55E00', '#CC79A7', '#56B4E9', '#F0E442', '#000000', '#8C564B', '#7F7F7F', '#17BECF', '#BCBD22', '#9467BD', '#FF9896', '#AEC7E8', '#98DF8A'];
export const colorAt = (i: number): string => PALETTE[i % PALETTE.length]!;

/** A legend of coloured swatches in rows. Returns the SVG and its height. */
export function legend(x: number, y: number, items: { label: string; color: string; dashed?: boolean }[], o: { width?: number; size?: number; line?: boolean } = {}): { svg: string; height: number } {
  const fs = o.size ?? 11;
  const w = o.width ?? 200;
  let cx = x;
  let cy = y;
  let s = '';
  for (const it of items) {
    const iw = 22 + it.label.length * fs * 0.6;
    if (cx + iw > x + w && cx > x) {
      cx = x;
      cy += fs + 6;
    }
    s += o.line
      ? `<line x1="${f(cx)}" x2="${f(cx + 14)}" y1="${f(cy - 4)}" y2="${f(cy - 4)}" stroke="${it.color}" stroke-width="2.5"${it.dashed ? ' stroke-dasharray="4 3"' : ''}/>`
      : `<rect x="${f(cx)}" y="${f(cy - 9)}" width="10" height="10" fill="${it.color}"/>`;
    s += text(cx + 18, cy, it.label, { size: fs });
    cx += iw + 8;
  }
  return { svg: s, height: cy - y + fs + 6 };
}
