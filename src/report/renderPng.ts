import { Resvg } from '@resvg/resvg-js';

/**
 * SVG -> PNG with resvg (system fonts; DejaVu Sans on Debian). `scale` 2 gives print-quality
 * bitmaps. Returns the PNG bytes.
 */
export function renderPng(svg: string, scale = 2): Uint8Array {
  const r = new Resvg(svg, {
    fitTo: { mode: 'zoom', value: scale },
    font: { loadSystemFonts: true, defaultFontFamily: 'DejaVu Sans' },
    background: '#ffffff',
  });
  return r.render().asPng();
}
