// Clean predictions, in float64 on the CPU whatever the bound engine (so that the clean accuracy
// does not depend on --backend), in chunks so that memory stays bounded for large test sets.
import type { Network } from '../network.js';
import { inputSize, outputSize } from '../network.js';
import { forward } from '../forward.js';
import { predictedClass } from '../spec/margins.js';

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
