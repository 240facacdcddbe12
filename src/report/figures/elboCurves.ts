import { axes, colorAt, f, legend, linearScale, svgDoc, text } from '../svg.js';

export interface ElboSeries {
  label: string;
  epochs: number[];
  train: number[];
  validation?: { epochs: number[]; values: number[] };
}

/**
 * Training curves: elbo_train per epoch (solid) and elbo_validation where logged (dashed), one
 * colour per model. Linear y axis; when early epochs spike far above the rest (the epoch-1 spike
 * LDVAE shows during KL warm-up, ldvae-spec 9 point 10) the axis is cut at 1.15x the largest value
 * from epoch 3 on, spiking points are drawn at the top edge and the figure says so.
 */
export function elboCurvesSvg(series: ElboSeries[], title: string): string {
  const W = 760;
  const lg = legend(20, 0, series.flatMap((s, i) => [{ label: s.label, color: colorAt(i) }]), { width: W - 40, line: true });
  const top = 44 + lg.height + 8;
  const H = top + 300;
  const all = series.flatMap((s) => [...s.train, ...(s.validation?.values ?? [])]).filter((v) => Number.isFinite(v));
  let s = text(16, 22, title, { size: 14, weight: 'bold' }) + `<g transform="translate(0 44)">${lg.svg}</g>`;
  if (all.length === 0) return svgDoc(W, 120, s + text(20, 80, 'no training history recorded', { size: 12 }), title);
  const maxE = Math.max(1, ...series.flatMap((x) => x.epochs));
  const lo = Math.min(...all);
  const hi = Math.max(...all);
  const late = series.flatMap((x) => [...x.train.filter((_, k) => x.epochs[k]! >= 3), ...(x.validation?.values.filter((_, k) => x.validation!.epochs[k]! >= 3) ?? [])]).filter((v) => Number.isFinite(v));
  const lateHi = late.length ? Math.max(...late) : hi;
  const cut = hi > lo + (lateHi - lo) * 3 ? lateHi + (lateHi - lo) * 0.15 : hi;
  const x = linearScale(0, maxE, 80, W - 30);
  const yl = linearScale(lo - (cut - lo) * 0.05, cut + (cut - lo) * 0.05, top + 250, top);
  const y = ((v: number) => yl(Math.min(v, cut + (cut - lo) * 0.05))) as typeof yl;
  Object.assign(y, { domain: yl.domain, range: yl.range, log: false });
  s += axes(x, yl, { xLabel: 'epoch', yLabel: 'ELBO (per cell, lower is better)' });
  if (cut < hi) s += text(80, top + 290, `early-epoch spike off scale (up to ${hi.toExponential(1)}); drawn at the top edge`, { size: 10, fill: '#a33' });
  series.forEach((ser, i) => {
    const col = colorAt(i);
    const path = (es: number[], vs: number[]) =>
      es
        .map((e, k) => (Number.isFinite(vs[k]!) ? `${k === 0 ? 'M' : 'L'}${f(x(e))},${f(y(vs[k]!))}` : ''))
        .join('')
        .replace(/^L/, 'M');
    s += `<path d="${path(ser.epochs, ser.train)}" fill="none" stroke="${col}" stroke-width="1.8"/>`;
    if (ser.validation && ser.validation.values.length) s += `<path d="${path(ser.validation.epochs, ser.validation.values)}" fill="none" stroke="${col}" stroke-width="1.5" stroke-dasharray="5 3"/>`;
  });
  s += text(W - 30, top + 290, 'solid: elbo_train; dashed: elbo_validation', { size: 10, anchor: 'end', fill: '#555' });
  return svgDoc(W, H, s, title);
}
