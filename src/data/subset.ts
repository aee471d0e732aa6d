// A two-class subset of a labelled image set (--data mnist:AvB), in its own module so that the
// browser page (which has no files to read) uses the very same selection as the CLI.
import type { Dataset } from './dataset.js';

/** The images of classes a and b, in their original order, labelled 0 (a) and 1 (b). */
export function binarySubset(ds: Dataset, a: number, b: number, name: string): Dataset {
  const n = ds.images.length / ds.count;
  let count = 0;
  for (let i = 0; i < ds.count; i++) if (ds.labels[i] === a || ds.labels[i] === b) count++;
  const images = new Float32Array(count * n);
  const labels = new Uint8Array(count);
  let j = 0;
  for (let i = 0; i < ds.count; i++) {
    const l = ds.labels[i];
    if (l !== a && l !== b) continue;
    images.set(ds.images.subarray(i * n, (i + 1) * n), j * n);
    labels[j++] = l === a ? 0 : 1;
  }
  const cn = ds.classNames;
  return { name, shape: ds.shape, count, images, labels, classes: 2, classNames: [cn?.[a] ?? String(a), cn?.[b] ?? String(b)] };
}
