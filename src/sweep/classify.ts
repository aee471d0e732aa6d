// Clean predictions, in float64 on the CPU whatever the bound engine (so that the clean accuracy
// does not depend on --backend), in chunks so that memory stays bounded for large test sets.
import type { Network } from '../network.js';
import { inputSize, outputSize } from '../network.js';
import { forward } from '../forward.js';
import { predictedClass } from '../spec/margins.js';
import { PairTable } from './pairs.js';

export interface Predictions {
  /** count × outputSize(net) logits. */
  outputs: Float64Array;
  predicted: Int32Array;
}

export function predict(net: Network, inputs: Float64Array, count: number, chunk = 1024): Predictions {
  const size = inputSize(net);
  const out = outputSize(net);
  const outputs = new Float64Array(count * out);
  const predicted = new Int32Array(count);
  for (let start = 0; start < count; start += chunk) {
    const n = Math.min(chunk, count - start);
    outputs.set(forward(net, inputs.subarray(start * size, (start + n) * size), n), start * out);
  }
  for (let i = 0; i < count; i++) predicted[i] = predictedClass(outputs.subarray(i * out, (i + 1) * out));
  return { outputs, predicted };
}

/**
 * A sweep's starting table: every input classified; the misclassified ones recorded as such (with
 * the input itself as their counterexample) and the correctly classified ones returned as the
 * candidates the sweep decides.
 */
export function startTable(net: Network, inputs: Float64Array, labels: ArrayLike<number>, count: number, eps: readonly number[]): { predicted: Int32Array; candidates: number[]; table: PairTable } {
  const n = inputSize(net);
  const { predicted } = predict(net, inputs, count);
  const table = new PairTable(count, eps);
  const candidates: number[] = [];
  for (let i = 0; i < count; i++) {
    if (predicted[i] === labels[i]) candidates.push(i);
    else table.misclassified(i, Float64Array.from(inputs.subarray(i * n, (i + 1) * n)));
  }
  return { predicted, candidates, table };
}
