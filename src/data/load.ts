// Turns a --data spec into a Dataset: 'mnist' (default) or 'mnist:AvB', a binary subset of
// two digits relabelled 0 (A) and 1 (B) for one-output sigmoid networks.
import { UserError } from '../errors.js';
import type { Dataset } from './dataset.js';
import { loadMnist } from './mnist.js';
import { loadImageFolder } from './folder.js';
import { binarySubset } from './subset.js';

export { binarySubset };

export interface LoadOptions {
  split: 'train' | 'test';
  /** Seed of a train/test split (image folders). */
  seed?: number;
  /** Side length images are resized to (image folders; MNIST is 28). */
  size?: number;
  /** 1 = grey, 3 = RGB (image folders; MNIST is grey). */
  channels?: 1 | 3;
}

export const DATASET_HELP = "'mnist', 'mnist:AvB' (digits A and B as classes 0 and 1, e.g. mnist:3v5) or 'folder:PATH' (one sub-folder of PNG/JPEG images per class)";

export function loadDataset(spec: string | undefined, opts: LoadOptions): Dataset {
  const s = (spec ?? 'mnist').trim();
  if (s.startsWith('folder:')) return loadImageFolder(s.slice('folder:'.length), opts);
  if (s === 'mnist' || s.startsWith('mnist:')) {
    if (opts.size !== undefined && opts.size !== 28) throw new UserError(`--size ${opts.size}: MNIST images are 28x28 (size applies to folder: datasets)`);
    if (opts.channels !== undefined && opts.channels !== 1) throw new UserError(`--channels ${opts.channels}: MNIST images have 1 channel`);
    const full = loadMnist(opts.split);
    if (s === 'mnist') return full;
    const m = /^mnist:(\d)v(\d)$/.exec(s);
    if (!m) throw new UserError(`dataset '${s}': expected ${DATASET_HELP}`);
    const a = Number(m[1]), b = Number(m[2]);
    if (a === b) throw new UserError(`dataset '${s}': the two digits must differ`);
    return binarySubset(full, a, b, `mnist:${a}v${b}-${opts.split}`);
  }
  throw new UserError(`unknown dataset '${s}' (expected ${DATASET_HELP})`);
}
