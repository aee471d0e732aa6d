// The robust-accuracy picture as a paper and a slide need it: series told apart by line style
// and marker as well as colour, the undecided band named in the legend, percent on the axis and
// in the legend, ε and ℓ∞ in the labels, the clean-accuracy line drawn under the curves, and
// --plot FILE.png rasterised (a real PNG of the SVG's proportions) while an unknown extension is
// refused before any work.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import fs from 'node:fs';
import pngjs from 'pngjs';
import { svgLinePlot, seriesStyle } from '../src/report/svg-plot.js';
import { pictureFormat, svgToPng, writePicture } from '../src/report/plot-file.js';
import { sweepPlotSvg } from '../src/report/sweep-plot.js';
import type { SweepReport, SweepRow } from '../src/sweep/report.js';
import { UserError } from '../src/errors.js';
import { refuses, succeeds, tempDir } from './helpers/cli-contract.js';

const { PNG } = pngjs;
const tmp = tempDir('vb-report-plot-');

/** A toy sweep; `open`: pairs left undecided (a band), else every pair decided (a closed interval). */
function report(open: boolean): SweepReport {
  const eps = [0, 0.01, 0.02, 0.03];
  const rows: SweepRow[] = [];
  for (const [method, verified] of [['ibp', [95, 60, 20, 5]], ['crown', [95, 80, 50, 30]]] as const) {
    eps.forEach((e, k) => {
      const misclassified = 5;
      const falsified = open ? 10 * k : 95 - verified[k];
      const undecided = 100 - verified[k] - falsified - misclassified;
      rows.push({
        method, eps: e, samples: 100, correct: 95, verified: verified[k], falsified, misclassified, undecided, decidedBy: {},
        boundVerified: verified[k], robustAccuracy: verified[k] / 100, robustAccuracyUpper: (100 - falsified - misclassified) / 100, bounded: 100, seconds: 0.1,
      });
    });
  }
  return {
    net: 'toy', data: 'toy data', samples: 100, backend: 'cpu', engine: 'cpu', schedule: 'all', eps, methods: ['ibp', 'crown'],
    correct: 95, rows, runs: [], perSample: [], seconds: 1, attack: { attacks: 0, seconds: 0 }, conflicts: 0, partial: false,
    ...(open ? { complete: { timeoutS: 10, calls: 0, seconds: 0, openReasons: {} } } : {}),
  };
}

test('series differ in dash pattern, marker shape and marker fill, not only in colour', () => {
  const styles = [0, 1, 2, 3].map(seriesStyle);
  for (let i = 0; i < styles.length; i++) {
    for (let j = i + 1; j < styles.length; j++) {
      assert.ok(styles[i].dash !== styles[j].dash, `series ${i} and ${j} share a dash pattern`);
      assert.ok(styles[i].marker !== styles[j].marker, `series ${i} and ${j} share a marker`);
    }
  }
  const svg = sweepPlotSvg(report(false));
  const lines = [...svg.matchAll(/<polyline [^>]*>/g)].map((m) => m[0]);
  assert.is(lines.length, 2);
  assert.not.match(lines[0], /stroke-dasharray/);
  assert.match(lines[1], /stroke-dasharray="7 4"/);
  assert.match(svg, /<circle [^>]*class="marker"/);
  assert.match(svg, /<rect [^>]*class="marker" fill="none"/, 'the second series has hollow markers');
});

test('percent on the axis and in the legend, ε and ℓ∞ in the label, the band named in the legend', () => {
  const plain = sweepPlotSvg(report(false));
  for (const t of ['0%', '20%', '100%']) assert.ok(plain.includes(`>${t}</text>`), `tick ${t}`);
  assert.ok(plain.includes('>clean accuracy 95%</text>'));
  assert.ok(plain.includes('>ε (ℓ∞ radius)</text>'));
  assert.not.match(plain, /class="band/, 'no band where every pair is decided');
  const milp = sweepPlotSvg(report(true));
  assert.is((milp.match(/<polygon class="band"/g) ?? []).length, 2);
  assert.is((milp.match(/class="band-key"/g) ?? []).length, 2);
  assert.ok(milp.includes('>undecided (CROWN + cascade)</text>') && milp.includes('>CROWN + cascade</text>'));
});

test('identical bands are drawn once, in grey, under one legend entry naming both series', () => {
  const x = [0, 1, 2];
  const band = { lower: [90, 50, 10], upper: [95, 80, 40] };
  const svg = svgLinePlot([{ label: 'A', x, y: band.lower, band }, { label: 'B', x, y: band.lower, band: { ...band } }, { label: 'C', x, y: [1, 1, 1], band: { lower: [0, 0, 0], upper: [2, 2, 2] } }], { yUnit: '%' });
  assert.is((svg.match(/<polygon class="band"/g) ?? []).length, 2);
  assert.match(svg, /<polygon class="band" data-label="A" [^>]*fill="#777777"/);
  assert.ok(svg.includes('>undecided (A, B)</text>') && svg.includes('>undecided (C)</text>'));
  assert.not.ok(svg.includes('>undecided (B)</text>'));
  // a closed interval (zero width everywhere) is not a band
  const closed = svgLinePlot([{ label: 'D', x, y: [5, 5, 5], band: { lower: [5, 5, 5], upper: [5, 5, 5] } }]);
  assert.not.match(closed, /class="band|undecided/);
});

test('the clean-accuracy line and the bands are drawn before (under) the curves; the legend is below the plot', () => {
  const svg = sweepPlotSvg(report(true));
  const ref = svg.indexOf('class="reference"');
  const band = svg.indexOf('<polygon class="band"');
  const firstSeries = svg.indexOf('<g class="series"');
  assert.ok(band > 0 && ref > band && firstSeries > ref, 'bands, then the reference, then the curves');
  const frame = /<rect x="(\d+)" y="(\d+)" width="(\d+)" height="(\d+)" fill="none"/.exec(svg)!.slice(1).map(Number);
  const legendYs = [...svg.matchAll(/<g class="legend">.*?<text x="[\d.]+" y="([\d.]+)"/g)].map((m) => Number(m[1]));
  assert.ok(legendYs.length >= 4);
  for (const y of legendYs) assert.ok(y > frame[1] + frame[3], `legend entry at y=${y} lies inside the plot area`);
  // points at the top of the range stay inside the frame, below its top edge
  const top = svgLinePlot([{ label: 'a', x: [0, 1], y: [100, 100] }], { yUnit: '%' });
  const cy = Number(/<circle cx="[\d.]+" cy="([\d.]+)"/.exec(top)![1]);
  const frameTop = Number(/<rect x="\d+" y="(\d+)" width="\d+" height="\d+" fill="none"/.exec(top)![1]);
  assert.ok(cy > frameTop + 3, `a 100% point (cy ${cy}) is drawn on the frame (${frameTop})`);
});

test('single-column size: 400 px wide, no text under 13 px', () => {
  const svg = sweepPlotSvg(report(true), 'toy: 100 inputs');
  assert.match(svg, /<svg [^>]*width="400"/);
  const sizes = [...svg.matchAll(/font-size="(\d+)"/g)].map((m) => Number(m[1]));
  assert.ok(sizes.length > 0 && sizes.every((s) => s >= 13), `font sizes ${sizes}`);
});

test('PNG by extension: a real PNG three times the SVG size; unknown extensions refused', () => {
  const svg = sweepPlotSvg(report(true));
  const [w, h] = /<svg [^>]*width="(\d+)" height="(\d+)"/.exec(svg)!.slice(1).map(Number);
  const img = PNG.sync.read(Buffer.from(svgToPng(svg)));
  assert.is(img.width, 3 * w);
  assert.is(img.height, 3 * h);
  // it is drawn: not all white, and the curves' blue is there
  let dark = 0, blue = 0;
  for (let i = 0; i < img.data.length; i += 4) {
    const [r, g, b] = [img.data[i], img.data[i + 1], img.data[i + 2]];
    if (r + g + b < 200) dark++;
    if (b > 150 && r < 60 && g > 80 && g < 150) blue++;
  }
  assert.ok(dark > 1000 && blue > 200, `dark ${dark}, blue ${blue}`);
  const file = tmp.file('p.png');
  writePicture(file, svg, '--plot');
  assert.equal([...fs.readFileSync(file).subarray(0, 4)], [0x89, 0x50, 0x4e, 0x47]);
  writePicture(tmp.file('p.svg'), svg, '--plot');
  assert.is(fs.readFileSync(tmp.file('p.svg'), 'utf8'), svg);
  assert.throws(() => pictureFormat('plot.pdf', '--plot'), (e: unknown) => e instanceof UserError && /--plot plot\.pdf: unknown picture format '\.pdf'; use \.svg or \.png/.test((e as Error).message));
});

test('sweep --plot FILE.png through the CLI; --plot FILE.jpg refused before any work', () => {
  const png = tmp.file('curve.png');
  succeeds(['sweep', '--samples', '20', '--eps', '0:0.02:3', '--method', 'ibp', '--backend', 'cpu', '--plot', png]);
  const img = PNG.sync.read(fs.readFileSync(png));
  assert.is(img.width, 1200);
  const jpg = tmp.file('curve.jpg');
  refuses(['sweep', '--samples', '20', '--eps', '0:0.02:3', '--backend', 'cpu', '--plot', jpg], { says: [/--plot .*curve\.jpg: unknown picture format '\.jpg'/], outputs: [jpg] });
});

test.after(() => tmp.remove());
test.run();
