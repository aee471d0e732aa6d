// The sweep's small parts: epsilon parsing, box building, the SVG plot, CSV/JSON shapes, the progress bar.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { Writable } from 'node:stream';
import { parseCount, parseEpsList, parseEpsValue } from '../src/sweep/eps.js';
import { buildBoxes, nextDown, nextUp } from '../src/sweep/boxes.js';
import { niceTicks, svgLinePlot } from '../src/report/svg-plot.js';
import { createProgress } from '../src/progress.js';
import { UserError } from '../src/errors.js';

function throwsUser(fn: () => unknown, re: RegExp) {
  try {
    fn();
  } catch (err) {
    assert.instance(err, UserError);
    assert.match((err as Error).message, re);
    assert.not.match((err as Error).message, /\n/);
    return;
  }
  assert.unreachable('expected a UserError');
}

test('eps lists: ranges, comma lists, single values', () => {
  assert.equal(parseEpsList('0.01:0.1:10'), [0.01, 0.02, 0.03, 0.04, 0.05, 0.06, 0.07, 0.08, 0.09, 0.1]);
  assert.equal(parseEpsList('0.001:0.01:10')[2], 0.003);
  assert.equal(parseEpsList('0.05,0.01, 0.02,0.01'), [0.01, 0.02, 0.05]);
  assert.equal(parseEpsList('0'), [0]);
  assert.equal(parseEpsList('0.1:0.1:1'), [0.1]);
  assert.is(parseEpsValue('1e-3'), 0.001);
});

test('eps errors are one line naming the value', () => {
  throwsUser(() => parseEpsList('-0.1'), /-0\.1 is negative/);
  throwsUser(() => parseEpsList('abc'), /'abc' is not a number/);
  throwsUser(() => parseEpsList('0.01,,0.02'), /'' is not a number/);
  throwsUser(() => parseEpsList(''), /empty/);
  throwsUser(() => parseEpsList('0.1:0.01:10'), /empty range .*stop 0\.01 is below start 0\.1/);
  throwsUser(() => parseEpsList('0.01:0.1:0'), /empty range \(count 0\)/);
  throwsUser(() => parseEpsList('0.01:0.1'), /start:stop:count/);
  throwsUser(() => parseEpsList('0.01:0.1:2.5'), /not a whole number/);
  throwsUser(() => parseEpsValue('Infinity'), /not a number/);
  throwsUser(() => parseEpsValue('NaN'), /not a number/);
  throwsUser(() => parseCount('0', '--samples'), /--samples: 0 is below the minimum of 1/);
  throwsUser(() => parseCount('-3', '--samples'), /not a whole number/);
  throwsUser(() => parseCount('ten', '--samples'), /'ten' is not a whole number/);
});

test('boxes contain the ball, are clipped to [0, 1], and are tight to an ulp', () => {
  const x = Float64Array.from([0, 0.3, 1, 0.999, 0.7, 0.1]);
  const b = buildBoxes(x, 3, [0, 1, 1], [0.1, 0.1, 0]);
  assert.is(b.count, 3);
  assert.equal(Array.from(b.lower.subarray(0, 3)), [0, nextDown(0.3 - 0.1), nextDown(1 - 0.1)]);
  assert.equal(Array.from(b.upper.subarray(0, 3)), [nextUp(0.1), nextUp(0.4), 1]);
  assert.equal(Array.from(b.lower.subarray(3, 6)), [nextDown(0.999 - 0.1), nextDown(0.7 - 0.1), 0]);
  assert.equal(Array.from(b.upper.subarray(3, 6)), [1, nextUp(0.7 + 0.1), nextUp(0.1 + 0.1)]);
  assert.equal(Array.from(b.lower.subarray(6)), [0.999, 0.7, 0.1]); // eps 0: the point itself
  assert.equal(Array.from(b.upper.subarray(6)), [0.999, 0.7, 0.1]);
  // the rounded x - eps may sit above the real one; the box end is below both
  for (let k = 0; k < 1000; k++) {
    const v = Math.random() * 0.8 + 0.1, e = Math.random() * 0.05;
    const bb = buildBoxes(Float64Array.of(v), 1, [0], [e]);
    assert.ok(bb.lower[0] < v - e && bb.upper[0] > v + e);
    assert.ok(nextUp(bb.lower[0]) === v - e && nextDown(bb.upper[0]) === v + e);
  }
});

test('nextDown / nextUp step by one ulp', () => {
  assert.is(nextUp(1), 1 + Number.EPSILON);
  assert.is(nextDown(1), 1 - Number.EPSILON / 2);
  assert.is(nextDown(0), -Number.MIN_VALUE);
  assert.is(nextUp(-1), -1 + Number.EPSILON / 2);
});

/** A minimal XML well-formedness check: balanced tags, quoted attributes, escaped text. */
function checkXml(svg: string): Map<string, number> {
  const counts = new Map<string, number>();
  const body = svg.replace(/^<\?xml[^>]*\?>\s*/, '');
  const stack: string[] = [];
  const re = /<(\/?)([a-zA-Z][\w:-]*)((?:\s+[\w:-]+="(?:[^"<&]|&(?:lt|gt|amp|quot|apos);)*")*)\s*(\/?)>|([^<]+)/gy;
  let m: RegExpExecArray | null;
  let pos = 0;
  while ((m = re.exec(body))) {
    pos = re.lastIndex;
    if (m[5] !== undefined) {
      assert.not.match(m[5], /&(?!(lt|gt|amp|quot|apos);)/, 'unescaped &');
      continue;
    }
    const [, close, name, , selfClose] = m;
    if (close) assert.is(stack.pop(), name, `closing </${name}>`);
    else {
      counts.set(name, (counts.get(name) ?? 0) + 1);
      if (!selfClose) stack.push(name);
    }
  }
  assert.is(pos, body.length, `unparsed text at ${pos}: ${body.slice(pos, pos + 40)}`);
  assert.equal(stack, []);
  return counts;
}

test('SVG plot: well-formed, one polyline per series, legend, ticks, optional band', () => {
  const svg = svgLinePlot([
    { label: 'IBP <fast>', x: [0.01, 0.02, 0.03], y: [90, 50, 10] },
    { label: 'CROWN & co', x: [0.01, 0.02, 0.03], y: [95, 80, 40], band: { lower: [95, 80, 40], upper: [97, 90, 60] } },
  ], { title: 'robust "accuracy"', xLabel: 'eps', yLabel: '%', reference: { label: 'clean', y: 98 } });
  const counts = checkXml(svg);
  assert.is(counts.get('svg'), 1);
  assert.is(counts.get('polyline'), 2);
  assert.is(counts.get('polygon'), 1);
  // markers: 3 points per series plus one in the legend each; series differ in marker shape (circle, square)
  assert.is((svg.match(/class="marker"/g) ?? []).length, 6 + 2);
  assert.is(counts.get('circle'), 3 + 1);
  assert.ok(svg.includes('IBP &lt;fast&gt;') && svg.includes('CROWN &amp; co') && svg.includes('clean 98'));
  // y = 90 of [0, 100] sits 10% below the top of the plot area; points run left to right
  const pts = /<polyline points="([^"]+)"/.exec(svg)![1].split(' ').map((p) => p.split(',').map(Number));
  assert.ok(pts[0][0] < pts[1][0] && pts[1][0] < pts[2][0]);
  assert.ok(pts[0][1] < pts[1][1] && pts[1][1] < pts[2][1], 'lower accuracy is drawn lower');
  assert.ok(svg.includes('>0.01<') && svg.includes('>100<'), 'axis tick labels');
});

test('nice ticks', () => {
  assert.equal(niceTicks(0, 100, 5), [0, 20, 40, 60, 80, 100]);
  assert.equal(niceTicks(0.01, 0.1), [0.02, 0.04, 0.06, 0.08, 0.1]);
  assert.equal(niceTicks(0.001, 0.01, 6), [0.002, 0.004, 0.006, 0.008, 0.01]);
});

function sink() {
  let text = '';
  const stream = new Writable({ write(chunk, _enc, cb) { text += chunk; cb(); } });
  return { stream, text: () => text };
}

test('progress bar: silent when not a terminal, draws when forced', async () => {
  const quiet = sink();
  const p = createProgress(10, 'quiet', { stream: quiet.stream });
  p.tick(5); p.stop(); p.stop();
  assert.is(quiet.text(), '');
  const loud = sink();
  const q = createProgress(10, 'work', { stream: loud.stream, force: true });
  q.tick(3); q.tick(100);
  q.stop();
  assert.match(loud.text(), /work/);
  assert.match(loud.text(), /10\/10/);
});

test('nextDown and nextUp step one float64 (against the 64-bit pattern ± 1), carries included', () => {
  const view = new DataView(new ArrayBuffer(8));
  const ref = (v: number, up: boolean) => {
    if (v === 0) return up ? Number.MIN_VALUE : -Number.MIN_VALUE;
    view.setFloat64(0, v);
    const bits = view.getBigUint64(0);
    view.setBigUint64(0, (v > 0) !== up ? bits - 1n : bits + 1n);
    return view.getFloat64(0);
  };
  const at = (hi: number, lo: number) => { view.setUint32(0, hi); view.setUint32(4, lo); return view.getFloat64(0); };
  const values = [0.3, -0.3, 1, -1, 0.1 + 0.2, Number.MIN_VALUE, -Number.MIN_VALUE, 5e-324 * 3, Number.MAX_VALUE, -Number.MAX_VALUE,
    at(0x3ff00000, 0), at(0x3ff00000, 0xffffffff), at(0xbff00000, 0), at(0xbff00000, 0xffffffff), at(0x00000001, 0), at(0x80000000, 0xffffffff)];
  let s = 12345;
  for (let k = 0; k < 200; k++) { s = (Math.imul(s, 1103515245) + 12345) >>> 0; values.push((s / 2 ** 32 - 0.5) * 10 ** ((k % 20) - 10)); }
  for (const v of values) {
    assert.ok(Object.is(nextDown(v), ref(v, false)), `nextDown(${v})`);
    assert.ok(Object.is(nextUp(v), ref(v, true)), `nextUp(${v})`);
  }
});

test.run();
