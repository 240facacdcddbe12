import type { GridSummary } from '../../eval/index.js';
import { divergingColor, esc, f, svgDoc, text } from '../svg.js';

const GROUP_ORDER_ROWS = ['Non-disease', 'Cancer', 'OOD'];

/** Order groups by a preferred list, then first appearance. */
function grouped(names: string[], groupOf: Record<string, string>, pref: string[]): { group: string; items: string[] }[] {
  const gs: string[] = [];
  for (const n of names) if (!gs.includes(groupOf[n]!)) gs.push(groupOf[n]!);
  gs.sort((a, b) => (pref.indexOf(a) < 0 ? 99 : pref.indexOf(a)) - (pref.indexOf(b) < 0 ? 99 : pref.indexOf(b)));
  return gs.map((g) => ({ group: g, items: names.filter((n) => groupOf[n] === g) }));
}

/**
 * The study's heatmap (SuppFig1 A): median per-cell r2 per eval set (rows, grouped Non-disease /
 * Cancer / OOD) x training corpus (columns: baseline, single sources, baseline + X), each cell
 * coloured by log2 fold change of the median against the baseline (blue worse .. green better).
 * The colour scale is symmetric, -L..L with L = the largest |log2FC| rounded up, between 1 and 5
 * (the study used a fixed 5; small demo effects would be invisible on it).
 * Cells not computed yet are drawn grey with "pending", so partial grids render.
 */
export interface HeatmapLabels {
  /** figure title (default: median per-cell reconstruction R²) */
  title?: string;
  /** line under the title */
  subtitle?: string;
  /** name of the value in tooltips (default "median r²") */
  valueName?: string;
  /** name of the colour quantity (default "log2FC"; the cells' log2fc_median_r2 field holds it) */
  colourName?: string;
  /** fixed colour-scale limit (default: |max| rounded up, 1..5) */
  limit?: number;
}

export function heatmapSvg(grid: GridSummary, model: string, seed: number, labels: HeatmapLabels = {}): string {
  const cell = new Map(grid.cells.filter((c) => c.model === model && c.seed === seed).map((c) => [`${c.evalSet}\u0000${c.corpus}`, c]));
  const rows = grouped(grid.evalSets, grid.evalSetGroups, GROUP_ORDER_ROWS);
  const fcs = [...cell.values()].map((c) => Math.abs(c.log2fc_median_r2 ?? 0)).filter((v) => Number.isFinite(v));
  const lim = labels.limit ?? Math.min(5, Math.max(1, Math.ceil(Math.max(0, ...fcs))));
  const base = grid.baseline;
  const colPref = ['Baseline', 'Single source'];
  const cols = grouped(grid.corpora, grid.corpusGroups, colPref);
  const cw = 74;
  const ch = 46;
  const gap = 18;
  const maxRowLabel = Math.max(...grid.evalSets.map((e) => e.length), 6);
  const rowLabelW = Math.min(180, maxRowLabel * 7.4);
  const left = 112 + rowLabelW;
  const top = 96;
  const maxColLabel = Math.max(...grid.corpora.map((c) => c.length), 6);
  const width = left + cols.reduce((s, g) => s + g.items.length * cw, 0) + gap * (cols.length - 1) + 170;
  const rowsH = rows.reduce((s, g) => s + g.items.length * ch, 0) + gap * (rows.length - 1);
  const height = top + rowsH + 34 + Math.min(150, maxColLabel * 5.5) + 14;
  let s = text(16, 24, labels.title ?? `Median per-cell reconstruction R² (${model}, seed ${seed})`, { size: 15, weight: 'bold' });
  s += text(16, 44, labels.subtitle ?? `number: median r² over the eval set's cells; colour: log2 fold change vs ${base ?? 'the baseline'}`, { size: 11.5, fill: '#555' });
  const valueName = labels.valueName ?? 'median r²';
  const colourName = labels.colourName ?? 'log2FC';
  let y = top;
  const colX: { name: string; x: number }[] = [];
  let x = left;
  for (const g of cols) {
    for (const c of g.items) {
      colX.push({ name: c, x });
      x += cw;
    }
    x += gap;
  }
  for (const rg of rows) {
    const gy0 = y;
    for (const ev of rg.items) {
      s += text(left - 8, y + ch / 2 + 4, ev, { size: 12, anchor: 'end' });
      for (const { name, x: cx } of colX) {
        const c = cell.get(`${ev}\u0000${name}`);
        if (!c) {
          s += `<rect x="${f(cx)}" y="${f(y)}" width="${cw}" height="${ch}" fill="#f4f4f4" stroke="#999" stroke-width="0.6" stroke-dasharray="3 2"/>` + text(cx + cw / 2, y + ch / 2 + 4, 'pending', { size: 10, anchor: 'middle', fill: '#999' });
          continue;
        }
        const v = c.median_r2;
        const fill = name === base ? '#ffffff' : divergingColor(c.log2fc_median_r2, lim);
        const label = v === null ? 'NaN' : v.toFixed(2);
        const tip = `${ev} / ${name}: ${valueName} ${label}, ${colourName} ${c.log2fc_median_r2 === null ? 'n/a' : c.log2fc_median_r2.toFixed(2)}, ${c.nCells} cells`;
        s += `<g><title>${esc(tip)}</title><rect x="${f(cx)}" y="${f(y)}" width="${cw}" height="${ch}" fill="${fill}" stroke="#666" stroke-width="0.6"/>`;
        s += text(cx + cw / 2, y + ch / 2 + 5, label, { size: 14, anchor: 'middle', fill: '#111' }) + '</g>';
      }
      y += ch;
    }
    // group bracket at the far left
    const bx0 = left - rowLabelW - 18;
    s += `<line x1="${f(bx0)}" x2="${f(bx0)}" y1="${f(gy0 + 4)}" y2="${f(y - 4)}" stroke="#777" stroke-width="1.5"/>`;
    s += text(bx0 - 6, (gy0 + y) / 2 + 4, rg.group, { size: 11, anchor: 'end', fill: '#444', weight: 'bold' });
    y += gap;
  }
  y -= gap;
  // column labels (rotated) and column-group labels
  for (const { name, x: cx } of colX) s += text(cx + cw / 2 + 4, y + 14, name, { size: 11, anchor: 'end', rotate: -35 });
  let gx = left;
  const labelY = y + 22 + Math.min(150, maxColLabel * 5.5);
  for (const g of cols) {
    const w = g.items.length * cw;
    s += `<line x1="${f(gx + 4)}" x2="${f(gx + w - 4)}" y1="${f(top - 8)}" y2="${f(top - 8)}" stroke="#777" stroke-width="1.5"/>`;
    s += text(gx + w / 2, top - 13, g.group, { size: 11, anchor: 'middle', fill: '#444', weight: 'bold' });
    gx += w + gap;
  }
  s += text(left + (gx - gap - left) / 2, labelY, 'Model training data', { size: 13, anchor: 'middle' });
  // colour bar
  const bx = gx + 30;
  const by = top + 24;
  const bh = Math.max(120, Math.min(220, rowsH - 50));
  s += '<defs><linearGradient id="fcbar" x1="0" y1="1" x2="0" y2="0">';
  for (let i = 0; i <= 10; i++) s += `<stop offset="${i / 10}" stop-color="${divergingColor(-lim + (i * lim) / 5, lim)}"/>`;
  s += '</linearGradient></defs>';
  s += `<rect x="${f(bx)}" y="${f(by)}" width="18" height="${f(bh)}" fill="url(#fcbar)" stroke="#333"/>`;
  for (const t of [-lim, -lim / 2, 0, lim / 2, lim]) {
    const ty = by + bh - ((t + lim) / (2 * lim)) * bh;
    s += `<line x1="${f(bx + 18)}" x2="${f(bx + 22)}" y1="${f(ty)}" y2="${f(ty)}" stroke="#333"/>` + text(bx + 25, ty + 4, String(t), { size: 10 });
  }
  s += text(bx + 9, by - 20, `Better than ${base ?? 'baseline'}`, { size: 11, anchor: 'middle', fill: '#548b2f', italic: true });
  s += text(bx + 9, by + bh + 18, `Worse than ${base ?? 'baseline'}`, { size: 11, anchor: 'middle', fill: '#3f7fbf', italic: true });
  s += text(bx + 52, by + bh / 2, labels.colourName ?? 'log2 FC', { size: 11, anchor: 'middle', rotate: 90 });
  return svgDoc(Math.max(width, bx + 150, 560), height, s, labels.title ? `Heatmap: ${labels.title}` : `Heatmap of median reconstruction R2, ${model} seed ${seed}`);
}
