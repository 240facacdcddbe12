import { axes, colorAt, f, legend, linearScale, logScale, svgDoc, text } from '../svg.js';

export interface ElboSeries {
  label: string;
  epochs: number[];
  train: number[];
  validation?: { epochs: number[]; values: number[] };
}

/**
 * Training curves: elbo_train per epoch (solid) and elbo_validation where logged (dashed), one
 * colour per model. The y axis is logarithmic when values span more than 20x (the epoch-1 spike
 * that LDVAE shows with KL warm-up; ldvae-spec 9, point 10), linear otherwise.
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
  const useLog = lo > 0 && hi / lo > 20;
  const x = linearScale(0, maxE, 80, W - 30);
  const y = useLog ? logScale(lo * 0.9, hi * 1.1, top + 250, top) : linearScale(lo - (hi - lo) * 0.05, hi + (hi - lo) * 0.05, top + 250, top);
  s += axes(x, y, { xLabel: 'epoch', yLabel: useLog ? 'ELBO (log scale)' : 'ELBO (negative, per cell)' });
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
