import { esc } from './svg.js';

/** Inline CSS of the report: readable on screen and in print, no web fonts, no scripts. */
export const CSS = `
body{font-family:"DejaVu Sans",Arial,Helvetica,sans-serif;color:#222;max-width:1250px;margin:24px auto;padding:0 20px;line-height:1.45}
h1{font-size:24px;margin-bottom:4px}h2{font-size:19px;margin-top:34px;border-bottom:2px solid #ddd;padding-bottom:4px}h3{font-size:15px;margin-top:20px}
.lead{color:#555;margin-top:0}.status{background:#f6f8fa;border:1px solid #ddd;border-radius:6px;padding:10px 14px}
.warn{background:#fff8e1;border:1px solid #f0c36d;border-radius:6px;padding:8px 12px;margin:8px 0}
figure{margin:14px 0 22px 0;overflow-x:auto}figure svg{max-width:100%;height:auto}figcaption{color:#444;font-size:13px;max-width:1000px}
table{border-collapse:collapse;font-size:12.5px;margin:8px 0}th,td{border:1px solid #ccc;padding:3px 7px;text-align:right}th{background:#f0f0f0}td.l,th.l{text-align:left}
code{background:#f3f3f3;padding:1px 4px;border-radius:3px;font-size:12px}.small{font-size:12px;color:#555}
nav a{margin-right:14px}
`;

export function table(head: string[], rows: (string | number | null)[][], opts: { leftCols?: number; shade?: (r: number, c: number) => string | undefined } = {}): string {
  const lc = opts.leftCols ?? 1;
  const cell = (v: string | number | null) => (v === null ? '—' : typeof v === 'number' ? (Number.isInteger(v) ? String(v) : v.toFixed(3)) : esc(v));
  let s = '<table><thead><tr>' + head.map((h, i) => `<th class="${i < lc ? 'l' : ''}">${esc(h)}</th>`).join('') + '</tr></thead><tbody>';
  rows.forEach((r, ri) => {
    s += '<tr>' + r.map((v, i) => {
      const bg = opts.shade?.(ri, i);
      return `<td class="${i < lc ? 'l' : ''}"${bg ? ` style="background:${bg}"` : ''}>${cell(v)}</td>`;
    }).join('') + '</tr>';
  });
  return s + '</tbody></table>';
}

export function figure(id: string, svg: string, caption: string): string {
  return `<figure id="${esc(id)}">${svg}<figcaption>${caption} <span class="small">(files: <code>figures/${esc(id)}.svg</code>, <code>figures/${esc(id)}.png</code>)</span></figcaption></figure>`;
}

export function csv(head: string[], rows: (string | number | null | undefined)[][]): string {
  const c = (v: string | number | null | undefined) => (v === null || v === undefined ? '' : typeof v === 'number' ? (Number.isNaN(v) ? 'NaN' : String(v)) : /[",\n]/.test(v) ? `"${v.replace(/"/g, '""')}"` : v);
  return [head.join(','), ...rows.map((r) => r.map(c).join(','))].join('\n') + '\n';
}
