import { inflateSync } from 'node:zlib';

/**
 * Decode an 8-bit RGB/RGBA non-interlaced PNG (what Chromium and resvg write) into pixels, for
 * "is this screenshot blank?" checks. Implements the five PNG row filters.
 */
export function decodePng(buf: Uint8Array): { width: number; height: number; channels: number; pixels: Uint8Array } {
  const dv = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  let p = 8;
  let width = 0;
  let height = 0;
  let channels = 0;
  const idat: Uint8Array[] = [];
  while (p < buf.length) {
    const len = dv.getUint32(p);
    const type = String.fromCharCode(...buf.subarray(p + 4, p + 8));
    const data = buf.subarray(p + 8, p + 8 + len);
    if (type === 'IHDR') {
      width = dv.getUint32(p + 8);
      height = dv.getUint32(p + 12);
      const depth = data[8];
      const ct = data[9];
      if (depth !== 8 || (ct !== 2 && ct !== 6) || data[12] !== 0) throw new Error(`unsupported PNG (depth ${depth}, colour type ${ct}, interlace ${data[12]})`);
      channels = ct === 6 ? 4 : 3;
    } else if (type === 'IDAT') idat.push(data);
    else if (type === 'IEND') break;
    p += 12 + len;
  }
  const raw = inflateSync(Buffer.concat(idat));
  const stride = width * channels;
  const px = new Uint8Array(height * stride);
  for (let y = 0; y < height; y++) {
    const ft = raw[y * (stride + 1)]!;
    const src = raw.subarray(y * (stride + 1) + 1, (y + 1) * (stride + 1));
    const o = y * stride;
    for (let x = 0; x < stride; x++) {
      const a = x >= channels ? px[o + x - channels]! : 0;
      const b = y > 0 ? px[o - stride + x]! : 0;
      const c = x >= channels && y > 0 ? px[o - stride + x - channels]! : 0;
      let v = src[x]!;
      if (ft === 1) v += a;
      else if (ft === 2) v += b;
      else if (ft === 3) v += (a + b) >> 1;
      else if (ft === 4) {
        const pp = a + b - c;
        const pa = Math.abs(pp - a);
        const pb = Math.abs(pp - b);
        const pc = Math.abs(pp - c);
        v += pa <= pb && pa <= pc ? a : pb <= pc ? b : c;
      }
      px[o + x] = v & 255;
    }
  }
  return { width, height, channels, pixels: px };
}

/** Fraction of pixels that are not (near) white. */
export function inkFraction(png: Uint8Array): number {
  const { pixels, channels } = decodePng(png);
  let ink = 0;
  const n = pixels.length / channels;
  for (let i = 0; i < n; i++) if (pixels[i * channels]! < 235 || pixels[i * channels + 1]! < 235 || pixels[i * channels + 2]! < 235) ink++;
  return ink / n;
}
