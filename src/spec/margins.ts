// The robustness specification as a matrix C on the network's output: the margins
// y_label − y_j for every j ≠ label, in order of j. For a one-output (sigmoid or logit)
// binary classifier the single margin is the logit times +1 for label 1 and −1 for label 0.
import type { Network } from '../network.js';
import { outputSize } from '../network.js';
import type { Spec } from '../bounds/types.js';

/** Number of margin rows for a network with `outSize` outputs. */
export function marginRows(outSize: number): number {
  return outSize === 1 ? 1 : outSize - 1;
}

/** Writes the margin rows of one label into `c` at `offset` (rows × outSize). */
export function writeMarginRows(c: Float64Array, offset: number, label: number, outSize: number): void {
  if (outSize === 1) {
    c[offset] = label === 1 ? 1 : -1;
    return;
  }
  let r = 0;
  for (let j = 0; j < outSize; j++) {
    if (j === label) continue;
    const row = offset + r * outSize;
    c[row + label] = 1;
    c[row + j] = -1;
    r++;
  }
}

/** A per-box spec of margins for the given labels (one label per box). */
export function marginSpec(net: Network, labels: ArrayLike<number>): Spec {
  const outSize = outputSize(net);
  const rows = marginRows(outSize);
  const c = new Float64Array(labels.length * rows * outSize);
  for (let b = 0; b < labels.length; b++) writeMarginRows(c, b * rows * outSize, labels[b], outSize);
  return { c, rows, shared: false };
}

/** Margins y_label − y_j (j ≠ label, in order) of one output vector. */
export function marginsOf(output: ArrayLike<number>, label: number): number[] {
  if (output.length === 1) return [label === 1 ? output[0] : -output[0]];
  const m: number[] = [];
  for (let j = 0; j < output.length; j++) if (j !== label) m.push(output[label] - output[j]);
  return m;
}

/** The predicted class of one output vector (for one output: logit > 0 means class 1). */
export function predictedClass(output: ArrayLike<number>): number {
  if (output.length === 1) return output[0] > 0 ? 1 : 0;
  let best = 0;
  for (let j = 1; j < output.length; j++) if (output[j] > output[best]) best = j;
  return best;
}
