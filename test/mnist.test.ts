import { test } from 'uvu';
import * as assert from 'uvu/assert';
import fs from 'node:fs';
import path from 'node:path';
import { loadMnist, mnistDataDir, parseIdxImages, parseIdxLabels } from '../src/data/mnist.js';
import { loadDataset } from '../src/data/load.js';
import { UserError } from '../src/errors.js';

function throwsUser(fn: () => unknown, pattern: RegExp): void {
  try {
    fn();
  } catch (e) {
    assert.instance(e, UserError);
    assert.match((e as Error).message, pattern);
    return;
  }
  assert.unreachable(`expected a UserError matching ${pattern}`);
}

test('test split: 10,000 images of [1,28,28] in [0,1], labels 0..9, image i = file record i', () => {
  const ds = loadMnist('test');
  assert.is(ds.count, 10000);
  assert.equal([...ds.shape], [1, 28, 28]);
  assert.is(ds.images.length, 10000 * 784);
  assert.is(ds.classes, 10);
  let min = Infinity, max = -Infinity;
  for (const v of ds.images) { if (v < min) min = v; if (v > max) max = v; }
  assert.is(min, 0);
  assert.is(max, 1);
  // compare a few records with the raw bytes read independently
  const raw = fs.readFileSync(path.join(mnistDataDir(), 't10k-images-idx3-ubyte'));
  const rawLabels = fs.readFileSync(path.join(mnistDataDir(), 't10k-labels-idx1-ubyte'));
  for (const i of [0, 1, 4321, 9999]) {
    assert.is(ds.labels[i], rawLabels[8 + i]);
    for (let p = 0; p < 784; p += 37) assert.ok(Math.abs(ds.images[i * 784 + p] - raw[16 + i * 784 + p] / 255) < 1e-7);
  }
  // the well-known first test labels are 7, 2, 1, 0, 4
  assert.equal([...ds.labels.subarray(0, 5)], [7, 2, 1, 0, 4]);
  const counts = new Array(10).fill(0);
  for (const l of ds.labels) counts[l]++;
  assert.ok(counts.every((c) => c > 800 && c < 1200), `class counts ${counts}`);
});

test('train split has 60,000 images and is cached per process', () => {
  const a = loadMnist('train');
  assert.is(a.count, 60000);
  assert.is(a.labels.length, 60000);
  assert.is(loadMnist('train'), a);
});

test('IDX parsers reject a wrong magic number and a truncated file', () => {
  const good = Buffer.alloc(16 + 2 * 4);
  good.writeUInt32BE(0x803, 0); good.writeUInt32BE(2, 4); good.writeUInt32BE(2, 8); good.writeUInt32BE(2, 12);
  good[16] = 255;
  const parsed = parseIdxImages(good, 'x');
  assert.is(parsed.count, 2);
  assert.is(parsed.pixels[0], 1);
  throwsUser(() => parseIdxImages(good.subarray(0, 20), 'imgs.idx'), /imgs\.idx: 20 bytes, expected 24/);
  const bad = Buffer.from(good); bad.writeUInt32BE(0x801, 0);
  throwsUser(() => parseIdxImages(bad, 'imgs.idx'), /magic number 0x801/);
  throwsUser(() => parseIdxImages(Buffer.alloc(3), 'imgs.idx'), /too short/);
  const lbl = Buffer.from([0, 0, 8, 1, 0, 0, 0, 2, 3, 12]);
  throwsUser(() => parseIdxLabels(lbl, 'lbl.idx'), /label 1 is 12/);
  lbl[9] = 9;
  assert.equal([...parseIdxLabels(lbl, 'lbl.idx')], [3, 9]);
  throwsUser(() => parseIdxLabels(lbl.subarray(0, 9), 'lbl.idx'), /expected 10/);
});

test('loadDataset: mnist default, mnist:3v5 binary subset, clear errors otherwise', () => {
  assert.is(loadDataset(undefined, { split: 'test' }), loadMnist('test'));
  const full = loadMnist('test');
  const bin = loadDataset('mnist:3v5', { split: 'test' });
  assert.is(bin.classes, 2);
  const n3 = full.labels.filter((l) => l === 3).length, n5 = full.labels.filter((l) => l === 5).length;
  assert.is(bin.count, n3 + n5);
  assert.is(bin.labels.filter((l) => l === 1).length, n5);
  // first image of the subset is the first 3 or 5 of the full set
  const first = full.labels.findIndex((l) => l === 3 || l === 5);
  assert.is(bin.labels[0], full.labels[first] === 3 ? 0 : 1);
  assert.equal(bin.images.subarray(0, 784), full.images.subarray(first * 784, (first + 1) * 784));
  throwsUser(() => loadDataset('cifar', { split: 'test' }), /unknown dataset 'cifar'/);
  throwsUser(() => loadDataset('mnist:3v3', { split: 'test' }), /must differ/);
  throwsUser(() => loadDataset('mnist:35', { split: 'test' }), /mnist:AvB/);
  throwsUser(() => loadDataset('mnist', { split: 'test', size: 32 }), /--size 32/);
});

test.run();
