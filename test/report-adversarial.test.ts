// The adversarial figure (attack --png) explains itself: panel titles, a caption with the
// original and the new class and the distance in the searched norm (computed from the drawn
// images), and a colour bar whose ends are ± the largest change, coloured as the difference
// panel colours them. The pixels of the panels are not resampled (exact grey values).
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import fs from 'node:fs';
import pngjs from 'pngjs';
import { adversarialFigurePng, adversarialFigureSvg, checkAdversarialFigure, distances, writeAdversarialPng } from '../src/report/adversarial-png.js';
import { model, node, numbers } from './fixtures-onnx.js';
import { refuses, tempDir } from './helpers/cli-contract.js';

const { PNG } = pngjs;
const tmp = tempDir('vb-report-adv-');

// an 8x8 image: value (r+c)/14; the adversarial one moves (2,3) up by 0.25 and (5,5) down by 0.1
const x = Float64Array.from({ length: 64 }, (_, i) => (Math.floor(i / 8) + (i % 8)) / 14);
const adv = x.slice();
adv[2 * 8 + 3] += 0.25;
adv[5 * 8 + 5] -= 0.1;

test('distances are the norms of the drawn difference', () => {
  const d = distances(x, adv);
  assert.ok(Math.abs(d.linf - 0.25) < 1e-12 && Math.abs(d.l1 - 0.35) < 1e-12);
});

test('caption: classes, distance in the searched norm; colour bar from -max to +max', () => {
  const linf = adversarialFigureSvg(x, adv, [1, 8, 8], { caption: { originalClass: 7, newClass: 3, norm: 'linf' } });
  const captions = [...linf.matchAll(/<text class="caption"[^>]*>([^<]*)</g)].map((m) => m[1]);
  assert.equal(captions, ['class 7 → 3', 'ℓ∞ distance 0.25']);
  const ticks = [...linf.matchAll(/<text class="bar-tick"[^>]*>([^<]*)</g)].map((m) => m[1]);
  assert.equal(ticks, ['+0.25', '0', '−0.25']);
  for (const t of ['original', 'adversarial', 'difference']) assert.ok(linf.includes(`>${t}</text>`));
  const l1 = adversarialFigureSvg(x, adv, [1, 8, 8], { caption: { originalClass: 'cat', newClass: 'dog', norm: 'l1' } });
  assert.ok(l1.includes('>class cat → dog<') && l1.includes('>ℓ1 distance 0.35<'));
  const none = adversarialFigureSvg(x, adv, [1, 8, 8]);
  assert.equal([...none.matchAll(/<text class="caption"[^>]*>([^<]*)</g)].map((m) => m[1]), ['ℓ∞ distance 0.25, ℓ1 distance 0.35']);
});

test('the PNG: exact panel pixels, difference and colour bar coloured alike', () => {
  const scale = 10;
  const opts = { scale, gap: 8, caption: { originalClass: 1, newClass: 2, norm: 'linf' as const } };
  const img = PNG.sync.read(Buffer.from(adversarialFigurePng(x, adv, [1, 8, 8], opts)));
  const svg = adversarialFigureSvg(x, adv, [1, 8, 8], opts);
  const [w, h] = /<svg [^>]*width="([\d.]+)" height="([\d.]+)"/.exec(svg)!.slice(1).map(Number);
  assert.is(img.width, 2 * w);
  assert.is(img.height, 2 * h);
  const px = (X: number, Y: number) => { const o = (Y * img.width + X) * 4; return [img.data[o], img.data[o + 1], img.data[o + 2]]; };
  const Z = 2, pad = 14, top = 30, pw = 8 * scale, gap = 8;
  // centre of panel cell (row r, col c) of panel k, in output pixels
  const cell = (k: number, r: number, c: number) => px(Z * (pad + k * (pw + gap) + c * scale + scale / 2), Z * (top + r * scale + scale / 2));
  const grey = (v: number) => Math.round(v * 255);
  assert.equal(cell(0, 4, 6), [grey(x[4 * 8 + 6]), grey(x[4 * 8 + 6]), grey(x[4 * 8 + 6])], 'original, not resampled');
  assert.equal(cell(1, 2, 3), [grey(adv[2 * 8 + 3]), grey(adv[2 * 8 + 3]), grey(adv[2 * 8 + 3])], 'adversarial');
  assert.equal(cell(2, 2, 3), [255, 0, 0], 'largest increase: full red');
  assert.equal(cell(2, 5, 5), [153, 153, 255], 'decrease of 0.1 of 0.25: 40% blue');
  assert.equal(cell(2, 0, 0), [255, 255, 255], 'unchanged: white');
  // the bar: red at the top, white in the middle, blue at the bottom
  const bx = Z * (pad + 3 * pw + 2 * gap + 12 + 7);
  const near = (a: number[], b: number[]) => a.every((v, i) => Math.abs(v - b[i]) <= 12);
  assert.ok(near(px(bx, Z * top + 3), [255, 0, 0]), `bar top ${px(bx, Z * top + 3)}`);
  assert.ok(near(px(bx, Z * (top + pw / 2)), [255, 255, 255]), `bar middle ${px(bx, Z * (top + pw / 2))}`);
  assert.ok(near(px(bx, Z * (top + pw) - 3), [0, 0, 255]), `bar bottom ${px(bx, Z * (top + pw) - 3)}`);
});

test('written whole to the named file; an unwritable path is one UserError', () => {
  const f = tmp.file('adv.png');
  writeAdversarialPng(f, x, adv, [1, 8, 8]);
  assert.equal([...fs.readFileSync(f).subarray(0, 4)], [0x89, 0x50, 0x4e, 0x47]);
  assert.throws(() => writeAdversarialPng(tmp.file('no/such/dir/adv.png'), x, adv, [1, 8, 8]), /--png .*adv\.png: cannot write it \(ENOENT\)/);
  assert.equal(fs.readdirSync(tmp.dir), ['adv.png'], 'no temporary file left');
});

test('attack --png: a .svg name gets the SVG figure; a non-image input or another extension is refused before the search', () => {
  const svgFile = tmp.file('adv.svg');
  writeAdversarialPng(svgFile, x, adv, [1, 8, 8], { caption: { originalClass: 1, newClass: 2, norm: 'l1' } });
  assert.match(fs.readFileSync(svgFile, 'utf8'), /^<svg [^>]*>[\s\S]*ℓ1 distance 0\.35[\s\S]*<\/svg>\n$/);
  assert.throws(() => checkAdversarialFigure('a.jpg', [1, 8, 8], 64), /--png a\.jpg: unknown picture format '\.jpg'/);
  assert.throws(() => checkAdversarialFigure('a.png', [5], 5), /--png needs an image input/);
  checkAdversarialFigure('a.png', [1, 8, 8], 64);
  const onnx = tmp.file('vec.onnx');
  fs.writeFileSync(onnx, model({ input: { name: 'x', dims: [1, 784] }, nodes: [node('Gemm', ['x', 'W'], ['y'], { transB: 1 })], inits: [{ name: 'W', dims: [10, 784], data: numbers(3, 7840) }], output: 'y' }));
  const out = tmp.file('refused.gif');
  refuses(['attack', '--net', onnx, '--index', '0', '--png', out], { says: [/--png .*refused\.gif: unknown picture format '\.gif'/], outputs: [out] });
});

test.after(() => tmp.remove());
test.run();
