// Image-folder datasets (`--data folder:PATH`): one sub-folder per class, class index = position
// of the folder's name in sorted order. PNG (pngjs) and JPEG (jpeg-js) files are decoded, resized
// to size × size by area averaging, turned into 1 (luminance) or 3 channels in [0, 1], CHW, and
// split into train/test per class by a seeded shuffle, so the same seed always gives the same split.
import fs from 'node:fs';
import path from 'node:path';
import pngjs from 'pngjs';
import jpeg from 'jpeg-js';
import { UserError, warnOnce } from '../errors.js';
import { makeRng, shuffle } from '../train/rng.js';
import type { Dataset } from './dataset.js';

const { PNG } = pngjs;

export interface FolderOptions {
  split: 'train' | 'test';
  /** Seed of the train/test split and of the order of images (default 1, `train`'s default seed). */
  seed?: number;
  /** Images are resized to size × size; default: their own size when all images share one. */
  size?: number;
  /** 1 = grey (luminance), 3 = RGB (default 3). */
  channels?: 1 | 3;
  /** Fraction of each class that goes to the test split (default 0.2). */
  testFraction?: number;
}

/** A decoded image: width × height RGBA bytes, row-major. */
export interface RgbaImage {
  width: number;
  height: number;
  data: Uint8Array;
}

const IMAGE_EXT = /\.(png|jpe?g)$/i;

/** Decodes a PNG or JPEG file (chosen by its extension); a file that does not decode is a UserError naming it. */
export function decodeImage(file: string): RgbaImage {
  let buf: Buffer;
  try {
    buf = fs.readFileSync(file);
  } catch (err) {
    throw new UserError(`${file}: cannot read it (${(err as NodeJS.ErrnoException).code ?? String(err)})`);
  }
  try {
    if (/\.png$/i.test(file)) {
      const png = PNG.sync.read(buf);
      return { width: png.width, height: png.height, data: new Uint8Array(png.data.buffer, png.data.byteOffset, png.data.length) };
    }
    const img = jpeg.decode(buf, { useTArray: true, formatAsRGBA: true });
    return { width: img.width, height: img.height, data: img.data };
  } catch (err) {
    throw new UserError(`${file}: not a valid ${/\.png$/i.test(file) ? 'PNG' : 'JPEG'} image (${(err as Error).message})`);
  }
}

/**
 * CHW values in [0, 1] of an RGBA image resized to outH × outW by area averaging: each output
 * pixel is the mean of the source area it covers, partial pixels weighted by their overlap
 * (upscaling becomes nearest-neighbour-like blocks, downscaling does not alias). Alpha is ignored.
 * Grey is the Rec. 601 luminance 0.299 R + 0.587 G + 0.114 B.
 */
export function resizeToChw(img: RgbaImage, outH: number, outW: number, channels: 1 | 3): Float32Array {
  const { width: w, height: h, data } = img;
  const out = new Float32Array(channels * outH * outW);
  const sy = h / outH, sx = w / outW;
  const plane = outH * outW;
  for (let oy = 0; oy < outH; oy++) {
    const y0 = oy * sy, y1 = y0 + sy;
    for (let ox = 0; ox < outW; ox++) {
      const x0 = ox * sx, x1 = x0 + sx;
      let r = 0, g = 0, b = 0, area = 0;
      for (let y = Math.floor(y0); y < Math.min(h, Math.ceil(y1)); y++) {
        const wy = Math.min(y + 1, y1) - Math.max(y, y0);
        if (wy <= 0) continue;
        for (let x = Math.floor(x0); x < Math.min(w, Math.ceil(x1)); x++) {
          const wx = Math.min(x + 1, x1) - Math.max(x, x0);
          if (wx <= 0) continue;
          const a = wy * wx, o = (y * w + x) * 4;
          r += a * data[o]; g += a * data[o + 1]; b += a * data[o + 2]; area += a;
        }
      }
      const k = oy * outW + ox, s = 1 / (255 * area);
      if (channels === 1) out[k] = Math.min(1, (0.299 * r + 0.587 * g + 0.114 * b) * s);
      else {
        out[k] = Math.min(1, r * s); out[plane + k] = Math.min(1, g * s); out[2 * plane + k] = Math.min(1, b * s);
      }
    }
  }
  return out;
}

export interface FolderListing {
  classNames: string[];
  /** Image files of each class, sorted by name. */
  files: string[][];
}

/** The class folders of `root` and their image files (files of other kinds are skipped, with one warning). */
export function listImageFolder(root: string): FolderListing {
  let st: fs.Stats;
  try {
    st = fs.statSync(root);
  } catch {
    throw new UserError(`folder:${root}: no such folder`);
  }
  if (!st.isDirectory()) throw new UserError(`folder:${root}: not a folder (expected one sub-folder of images per class)`);
  const classNames = fs.readdirSync(root, { withFileTypes: true })
    .filter((e) => e.isDirectory() && !e.name.startsWith('.'))
    .map((e) => e.name)
    .sort();
  if (classNames.length < 2) {
    throw new UserError(`folder:${root}: found ${classNames.length} class sub-folder(s)${classNames.length ? ` (${classNames[0]})` : ''}; expected one sub-folder of images per class, at least 2`);
  }
  if (classNames.length > 255) throw new UserError(`folder:${root}: ${classNames.length} class sub-folders; at most 255 are supported`);
  let skipped = 0;
  const files = classNames.map((c) => {
    const dir = path.join(root, c);
    const entries = fs.readdirSync(dir, { withFileTypes: true }).filter((e) => e.isFile() && !e.name.startsWith('.'));
    const images = entries.filter((e) => IMAGE_EXT.test(e.name)).map((e) => path.join(dir, e.name)).sort();
    skipped += entries.length - images.length;
    if (!images.length) throw new UserError(`folder:${root}: class folder '${c}' has no PNG or JPEG images`);
    return images;
  });
  if (skipped) warnOnce(`folder:${root}: skipped ${skipped} file(s) that are not .png, .jpg or .jpeg`);
  return { classNames, files };
}

/** Per class, the positions (into the class's sorted files) of the split's images. */
export function splitClass(count: number, split: 'train' | 'test', seed: number, classIndex: number, testFraction: number): number[] {
  const order = Int32Array.from({ length: count }, (_, i) => i);
  shuffle(order, makeRng(seed * 1000003 + classIndex));
  // every class with two or more images keeps at least one on each side
  const nTest = count < 2 ? 0 : Math.min(count - 1, Math.max(1, Math.round(count * testFraction)));
  const part = split === 'test' ? order.subarray(0, nTest) : order.subarray(nTest);
  return Array.from(part).sort((a, b) => a - b);
}

export interface FolderDataset {
  dataset: Dataset;
  /** The file each image came from, in dataset order. */
  files: string[];
}

/** Loads one split of an image folder, with the file of each image. */
export function readImageFolder(root: string, opts: FolderOptions): FolderDataset {
  const seed = opts.seed ?? 1;
  const channels = opts.channels ?? 3;
  const testFraction = opts.testFraction ?? 0.2;
  if (opts.size !== undefined && !(Number.isInteger(opts.size) && opts.size >= 1 && opts.size <= 4096)) throw new UserError(`--size ${opts.size}: expected an integer from 1 to 4096`);
  if (channels !== 1 && channels !== 3) throw new UserError(`--channels ${channels as number}: expected 1 or 3`);
  const { classNames, files } = listImageFolder(root);
  const picked: { file: string; label: number }[] = [];
  files.forEach((list, c) => {
    for (const k of splitClass(list.length, opts.split, seed, c, testFraction)) picked.push({ file: list[k], label: c });
  });
  if (!picked.length) throw new UserError(`folder:${root}: the ${opts.split} split is empty (every class has fewer than 2 images)`);
  // mix the classes so that "the first N images" (sweep --samples) are not all of one class
  const order = Int32Array.from({ length: picked.length }, (_, i) => i);
  shuffle(order, makeRng(seed ^ 0x5bd1e995));

  let h = opts.size ?? 0, w = opts.size ?? 0;
  let first = '';
  const images: Float32Array[] = [];
  const labels = new Uint8Array(picked.length);
  const outFiles: string[] = [];
  order.forEach((p, i) => {
    const { file, label } = picked[p];
    const img = decodeImage(file);
    if (opts.size === undefined) {
      if (!first) { first = file; h = img.height; w = img.width; }
      else if (img.height !== h || img.width !== w) {
        throw new UserError(`folder:${root}: images differ in size (${first} is ${w}x${h}, ${file} is ${img.width}x${img.height}); give --size N to resize them all to NxN`);
      }
    }
    images.push(resizeToChw(img, h, w, channels));
    labels[i] = label;
    outFiles.push(file);
  });
  const n = channels * h * w;
  const flat = new Float32Array(images.length * n);
  images.forEach((im, i) => flat.set(im, i * n));
  return {
    dataset: {
      name: `folder:${root} (${opts.split} split)`,
      shape: [channels, h, w],
      count: images.length,
      images: flat,
      labels,
      classes: classNames.length,
      classNames,
    },
    files: outFiles,
  };
}

/** One split of an image folder as a Dataset (what `loadDataset('folder:PATH', …)` returns). */
export function loadImageFolder(root: string, opts: FolderOptions): Dataset {
  return readImageFolder(root, opts).dataset;
}
