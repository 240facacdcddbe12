/**
 * The report as a person sees it: render report.html in headless Chromium, check every figure is
 * laid out with a non-zero size and that the screenshot is not blank. Skipped (with the reason)
 * when /usr/bin/chromium is absent: `.ci/run` must apt-get install chromium for this to run.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { writeReport } from '../../src/report/index.js';
import { makeRunDir } from './makeRunDir.js';
import { inkFraction } from './pngPixels.js';

const CHROMIUM = '/usr/bin/chromium';
const flags = ['--headless', '--no-sandbox', '--disable-gpu', '--hide-scrollbars', '--allow-file-access-from-files'];

test('report.html renders in headless Chromium with every figure visible', async (t) => {
  if (!existsSync(CHROMIUM)) return t.skip(`${CHROMIUM} not installed (Debian package 'chromium'; add it to .ci/run)`);
  const dir = mkdtempSync(join(tmpdir(), 'scmix-chromium-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const corpora = { Blood: ['b1'], BoneMarrow: ['bm'], 'Blood+BoneMarrow': ['b1', 'bm'] };
  const q: Record<string, Record<string, number>> = { Blood: { Blood: 0.8, AML: 0.45 }, BoneMarrow: { Blood: 0.6, AML: 0.5 }, 'Blood+BoneMarrow': { Blood: 0.78, AML: 0.52 } };
  await makeRunDir(dir, { corpora, evalSets: ['Blood', 'AML'], seeds: [0, 1], quality: (c, e) => q[c]![e]! });
  const r = await writeReport(dir);
  const html = readFileSync(r.html, 'utf8');

  // A probe copy (the report itself has no scripts): measure every figure after layout.
  const probe = join(dir, 'report', 'probe.html');
  const script = `<script>const m=[...document.querySelectorAll('figure')].map(f=>{const s=f.querySelector('svg,img').getBoundingClientRect();return [f.id,Math.round(s.width),Math.round(s.height)]});document.body.setAttribute('data-probe',JSON.stringify(m));</script>`;
  writeFileSync(probe, html.replace('</body>', `${script}</body>`));
  const dom = spawnSync(CHROMIUM, [...flags, '--window-size=1300,2000', '--dump-dom', `file://${probe}`], { encoding: 'utf8', maxBuffer: 64 << 20 });
  assert.equal(dom.status, 0, dom.stderr);
  const m = /data-probe="([^"]*)"/.exec(dom.stdout);
  assert.ok(m, 'probe attribute missing from the dumped DOM');
  const sizes = JSON.parse(m[1]!.replace(/&quot;/g, '"')) as [string, number, number][];
  assert.equal(sizes.length, r.figures.length);
  for (const [id, w, h] of sizes) assert.ok(w > 200 && h > 100, `figure ${id} laid out at ${w}x${h}`);
  assert.equal((dom.stdout.match(/<svg /g) ?? []).length, r.figures.length);

  const shot = join(dir, 'report', 'screenshot.png');
  const s = spawnSync(CHROMIUM, [...flags, '--window-size=1300,3000', `--screenshot=${shot}`, `file://${r.html}`], { encoding: 'utf8' });
  assert.equal(s.status, 0, s.stderr);
  const ink = inkFraction(readFileSync(shot));
  t.diagnostic(`screenshot: ${(ink * 100).toFixed(1)}% non-white pixels; figures ${sizes.map((x) => `${x[0]} ${x[1]}x${x[2]}`).join(', ')}`);
  assert.ok(ink > 0.03, `screenshot looks blank (${(ink * 100).toFixed(2)}% ink)`);
  // the PNG copies carry text and marks too (fonts found by resvg)
  for (const id of r.figures) assert.ok(inkFraction(readFileSync(join(dir, 'report', 'figures', `${id}.png`))) > 0.01, `${id}.png is blank`);
});
