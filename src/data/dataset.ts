// A labelled image set as every command sees it (MNIST, an image folder, a JSON file).
import type { Shape } from '../network.js';

export interface Dataset {
  /** e.g. "mnist-test" or "folder:cats_dogs (test split)". */
  name: string;
  /** Shape of one input without the batch dimension, e.g. [1, 28, 28]. */
  shape: Shape;
  count: number;
  /** count × size(shape) values in [0, 1], row-major, image i at i*size(shape). */
  images: Float32Array;
  labels: Uint8Array;
  classes: number;
  /** Class names, when known (folder names). */
  classNames?: string[];
}

/** Image i as float64 (the engines' precision). */
export function imageAt(ds: Dataset, i: number): Float64Array {
  const n = ds.images.length / ds.count;
  return Float64Array.from(ds.images.subarray(i * n, (i + 1) * n));
}
