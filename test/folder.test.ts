// Image-folder datasets on a small synthetic folder written here: solid-colour PNG and JPEG files
// whose colour encodes their class and number, so values, labels and the split can be checked.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import pngjs from 'pngjs';
import jpeg from 'jpeg-js';
import { decodeImage, listImageFolder, readImageFolder, resizeToChw } from '../src/data/folder.js';
import { loadDataset } from '../src/data/load.js';
import { UserError } from '../src/errors.js';

const { PNG } = pngjs;
const root = fs.mkdtempSync(path.join(os.tmpdir(), 'vb-folder-'));
process.on('exit', () => fs.rmSync(root, { recursive: true, force: true }));

function rgba(w: number, h: number, f: (x: number, y: number) => [number, number, number]): Uint8Array {
  const d = new Uint8Array(w * h * 4);
  for (let y = 0; y < h; y++) for (let x = 0; x < w; x++) {
    const [r, g, b] = f(x, y);
    d.set([r, g, b, 255], (y * w + x) * 4);
  }
  return d;
}
function writePng(file: string, w: number, h: number, f: (x: number, y: number) => [number, number, number]): void {
  const png = new PNG({ width: w, height: h });
  png.data.set(rgba(w, h, f));
  fs.writeFileSync(file, PNG.sync.write(png));
}
function writeJpeg(file: string, w: number, h: number, f: (x: number, y: number) => [number, number, number]): void {
  fs.writeFileSync(file, jpeg.encode({ width: w, height: h, data: rgba(w, h, f) }, 100).data);
}
function throwsUser(fn: () => unknown, re: RegExp): void {
  try {
    fn();
  } catch (err) {
    assert.instance(err, UserError);
    assert.match((err as Error).message, re);
    return;
  }
  assert.unreachable(`expected a UserError matching ${re}`);
}

// class "cat": 10 red-ish PNGs of differing sizes; class "dog": 10 blue-ish JPEGs (green = 20 * k marks image k)
const data = path.join(root, 'pets');
fs.mkdirSync(path.join(data, 'dog'), { recursive: true });
fs.mkdirSync(path.join(data, 'cat'));
for (let k = 0; k < 10; k++) {
  writePng(path.join(data, 'cat', `c${k}.png`), 6 + k, 8, () => [250, 20 * k, 0]);
  writeJpeg(path.join(data, 'dog', `d${k}.JPG`), 16, 16, () => [0, 20 * k, 240]);
}
fs.writeFileSync(path.join(data, 'dog', 'notes.txt'), 'not an image');

test('resizeToChw: area averaging of known pixels, and luminance', () => {
  // 4x4 of values 16*(y*4+x) in every channel → 2x2 block means
  const img = { width: 4, height: 4, data: rgba(4, 4, (x, y) => [16 * (y * 4 + x), 16 * (y * 4 + x), 16 * (y * 4 + x)]) };
  const out = resizeToChw(img, 2, 2, 3);
  const mean = (a: number[]) => a.reduce((s, v) => s + v, 0) / a.length / 255;
  const expect = [mean([0, 16, 64, 80]), mean([32, 48, 96, 112]), mean([128, 144, 192, 208]), mean([160, 176, 224, 240])];
  for (let c = 0; c < 3; c++) for (let k = 0; k < 4; k++) assert.ok(Math.abs(out[c * 4 + k] - expect[k]) < 1e-6, `channel ${c} pixel ${k}`);
  // 3x1 → 2x1: partial overlap weights 1 and 0.5
  const row = { width: 3, height: 1, data: rgba(3, 1, (x) => [[0, 90, 255][x], 0, 0]) };
  const r = resizeToChw(row, 1, 2, 3);
  assert.ok(Math.abs(r[0] - (0 + 0.5 * 90) / 1.5 / 255) < 1e-6);
  assert.ok(Math.abs(r[1] - (0.5 * 90 + 255) / 1.5 / 255) < 1e-6);
  // grey: 0.299 R + 0.587 G + 0.114 B
  const one = { width: 1, height: 1, data: new Uint8Array([200, 100, 50, 255]) };
  assert.ok(Math.abs(resizeToChw(one, 1, 1, 1)[0] - (0.299 * 200 + 0.587 * 100 + 0.114 * 50) / 255) < 1e-6);
  // upscaling keeps values (each output lies inside one source pixel)
  const up = resizeToChw(one, 3, 3, 3);
  assert.ok(up.subarray(0, 9).every((v) => Math.abs(v - 200 / 255) < 1e-6));
});

test('listImageFolder: sorted class names, image files only', () => {
  const { classNames, files } = listImageFolder(data);
  assert.equal(classNames, ['cat', 'dog']);
  assert.is(files[0].length, 10);
  assert.is(files[1].length, 10); // notes.txt skipped
});

test('readImageFolder: labels, values, CHW shape and 80/20 split', () => {
  const opts = { seed: 7, size: 4, channels: 3 as const };
  const test_ = readImageFolder(data, { split: 'test', ...opts });
  const train = readImageFolder(data, { split: 'train', ...opts });
  const ds = test_.dataset;
  assert.equal(ds.shape, [3, 4, 4]);
  assert.is(ds.count, 4); // 2 per class
  assert.is(train.dataset.count, 16);
  assert.is(ds.classes, 2);
  assert.equal(ds.classNames, ['cat', 'dog']);
  for (const { dataset, files } of [test_, train]) {
    assert.equal([...dataset.labels].filter((l) => l === 0).length, dataset.count / 2);
    for (let i = 0; i < dataset.count; i++) {
      const px = dataset.images.subarray(i * 48, (i + 1) * 48);
      const k = Number(/(\d+)\.\w+$/.exec(files[i])![1]);
      const label = dataset.labels[i];
      assert.is(label, files[i].includes(`${path.sep}cat${path.sep}`) ? 0 : 1);
      const want = label === 0 ? [250, 20 * k, 0] : [0, 20 * k, 240];
      const tol = label === 0 ? 1e-6 : 4 / 255; // JPEG is lossy
      for (let c = 0; c < 3; c++) for (let p = 0; p < 16; p++) {
        assert.ok(Math.abs(px[c * 16 + p] - want[c] / 255) <= tol, `${files[i]} channel ${c}: ${px[c * 16 + p]} vs ${want[c] / 255}`);
      }
    }
  }
  // the splits are disjoint and cover the folder
  const all = new Set([...test_.files, ...train.files]);
  assert.is(all.size, 20);
});

test('the split is deterministic in the seed and differs between seeds', () => {
  const a = readImageFolder(data, { split: 'test', seed: 3, size: 2 });
  const b = readImageFolder(data, { split: 'test', seed: 3, size: 2 });
  assert.equal(a.files, b.files);
  assert.equal([...a.dataset.images], [...b.dataset.images]);
  const differ = [4, 5, 6, 8, 9].some((s) => readImageFolder(data, { split: 'test', seed: s, size: 2 }).files.sort().join() !== [...a.files].sort().join());
  assert.ok(differ, 'some other seed picks other test images');
});

test('grey channel and loadDataset("folder:PATH")', () => {
  const ds = loadDataset(`folder:${data}`, { split: 'train', seed: 1, size: 5, channels: 1 });
  assert.equal(ds.shape, [1, 5, 5]);
  assert.is(ds.count, 16);
  assert.ok(ds.name.includes('train'));
  for (let i = 0; i < ds.count; i++) {
    const v = ds.images[i * 25];
    // cat: 0.299*250 + 0.587*G; dog: 0.587*G + 0.114*240 with G in [0, 180]
    const lo = ds.labels[i] === 0 ? 0.299 * 250 : 0.114 * 240;
    assert.ok(v >= lo / 255 - 0.02 && v <= (lo + 0.587 * 180) / 255 + 0.02, `image ${i}: ${v}`);
  }
});

test('user errors: missing folder, no classes, undecodable file, mixed sizes without --size', () => {
  throwsUser(() => readImageFolder(path.join(root, 'nope'), { split: 'test' }), /nope: no such folder/);
  const empty = path.join(root, 'empty');
  fs.mkdirSync(empty);
  throwsUser(() => readImageFolder(empty, { split: 'test' }), /found 0 class sub-folder/);
  const bad = path.join(root, 'bad');
  fs.mkdirSync(path.join(bad, 'a'), { recursive: true });
  fs.mkdirSync(path.join(bad, 'b'));
  for (const c of ['a', 'b']) for (let k = 0; k < 3; k++) writePng(path.join(bad, c, `${k}.png`), 3, 3, () => [1, 2, 3]);
  fs.writeFileSync(path.join(bad, 'b', '9.png'), 'definitely not a png');
  throwsUser(() => { readImageFolder(bad, { split: 'train', size: 3 }); readImageFolder(bad, { split: 'test', size: 3 }); }, /b[\\/]9\.png: not a valid PNG/);
  assert.throws(() => decodeImage(path.join(bad, 'b', '9.png')), /9\.png/);
  throwsUser(() => readImageFolder(data, { split: 'train' }), /differ in size.*--size/);
  const noImages = path.join(root, 'noimg');
  fs.mkdirSync(path.join(noImages, 'x'), { recursive: true });
  fs.mkdirSync(path.join(noImages, 'y'));
  throwsUser(() => readImageFolder(noImages, { split: 'test' }), /'x' has no PNG or JPEG/);
});

test('same-size images load at their own size when --size is not given', () => {
  const same = path.join(root, 'same');
  for (const c of ['a', 'b']) {
    fs.mkdirSync(path.join(same, c), { recursive: true });
    for (let k = 0; k < 5; k++) writePng(path.join(same, c, `${k}.png`), 7, 5, () => [9, 9, 9]);
  }
  const ds = loadDataset(`folder:${same}`, { split: 'test', channels: 3 });
  assert.equal(ds.shape, [3, 5, 7]);
  assert.is(ds.count, 2);
});

test.run();
