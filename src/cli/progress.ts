/**
 * Terminal progress for long steps: a bar with rate (cells/s, tokens/s, ...) and ETA on stderr.
 * On a TTY it redraws one line; otherwise (CI, pipes) it prints a plain line at most every 5 s
 * so logs stay readable. Library code never prints: it reports through callbacks that the CLI
 * connects to one of these.
 */
export interface Progress {
  /** Set the absolute position (`done` units of `total`), with optional extra fields to show. */
  update(done: number, extra?: Record<string, string | number>): void;
  /** Finish the bar and print a summary line. */
  finish(extra?: Record<string, string | number>): void;
}

export interface ProgressOptions {
  label: string;
  total: number;
  unit: string; // "cells", "tokens", "epochs"
  stream?: NodeJS.WritableStream & { isTTY?: boolean; columns?: number };
  quiet?: boolean;
}

export function createProgress(opts: ProgressOptions): Progress {
  const stream = opts.stream ?? process.stderr;
  const tty = Boolean((stream as { isTTY?: boolean }).isTTY);
  const t0 = Date.now();
  let lastPrint = 0;
  let lastDone = 0;
  const fmtExtra = (extra?: Record<string, string | number>) =>
    extra
      ? Object.entries(extra)
          .map(([k, v]) => `${k} ${typeof v === 'number' ? formatNumber(v) : v}`)
          .join('  ')
      : '';
  const line = (done: number, extra?: Record<string, string | number>) => {
    const secs = (Date.now() - t0) / 1000;
    const rate = secs > 0 ? done / secs : 0;
    const frac = opts.total > 0 ? Math.min(1, done / opts.total) : 0;
    const eta = rate > 0 && opts.total > 0 ? (opts.total - done) / rate : NaN;
    const width = 24;
    const filled = Math.round(frac * width);
    const bar = '#'.repeat(filled) + '-'.repeat(width - filled);
    return `${opts.label} [${bar}] ${(frac * 100).toFixed(0).padStart(3)}%  ${formatNumber(rate)} ${opts.unit}/s  ETA ${formatDuration(eta)}  ${fmtExtra(extra)}`.trimEnd();
  };
  return {
    update(done, extra) {
      lastDone = done;
      if (opts.quiet) return;
      const now = Date.now();
      if (tty) {
        if (now - lastPrint < 100 && done < opts.total) return;
        lastPrint = now;
        const cols = (stream as { columns?: number }).columns ?? 120;
        stream.write('\r' + line(done, extra).slice(0, cols - 1).padEnd(cols - 1));
      } else if (now - lastPrint >= 5000) {
        lastPrint = now;
        stream.write(line(done, extra) + '\n');
      }
    },
    finish(extra) {
      if (opts.quiet) return;
      const secs = (Date.now() - t0) / 1000;
      const msg = `${opts.label}: ${formatNumber(lastDone)} ${opts.unit} in ${formatDuration(secs)} (${formatNumber(secs > 0 ? lastDone / secs : 0)} ${opts.unit}/s)  ${fmtExtra(extra)}`.trimEnd();
      stream.write((tty ? '\r' + ' '.repeat(((stream as { columns?: number }).columns ?? 120) - 1) + '\r' : '') + msg + '\n');
    },
  };
}

export function formatNumber(v: number): string {
  if (!Number.isFinite(v)) return String(v);
  const a = Math.abs(v);
  if (a >= 1e9) return (v / 1e9).toFixed(2) + 'G';
  if (a >= 1e6) return (v / 1e6).toFixed(2) + 'M';
  if (a >= 1e4) return (v / 1e3).toFixed(1) + 'k';
  if (a >= 100 || Number.isInteger(v)) return v.toFixed(0);
  if (a >= 1) return v.toFixed(2);
  return v.toPrecision(3);
}

export function formatDuration(secs: number): string {
  if (!Number.isFinite(secs)) return '--:--';
  const s = Math.round(secs);
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  const ss = s % 60;
  return h > 0 ? `${h}h${String(m).padStart(2, '0')}m` : `${String(m).padStart(2, '0')}:${String(ss).padStart(2, '0')}`;
}
