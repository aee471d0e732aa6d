// The local-robustness property of a network at x as VNN-LIB text, parsed: the L∞ ball of
// radius eps around x, and one disjunct per other class j (y_j ≥ y_label, label the argmax at x).
import type { Network } from '../../src/network.js';
import { forward } from '../../src/forward.js';
import { parseVnnlib } from '../../src/spec/vnnlib.js';
import type { Property } from '../../src/spec/property.js';

export function robustnessProperty(net: Network, x: Float64Array, eps: number): Property {
  const y = forward(net, x, 1);
  let label = 0;
  for (let j = 1; j < y.length; j++) if (y[j] > y[label]) label = j;
  let text = '';
  for (let i = 0; i < x.length; i++) text += `(declare-const X_${i} Real)\n`;
  for (let j = 0; j < y.length; j++) text += `(declare-const Y_${j} Real)\n`;
  for (let i = 0; i < x.length; i++) text += `(assert (<= X_${i} ${x[i] + eps}))\n(assert (>= X_${i} ${x[i] - eps}))\n`;
  text += '(assert (or\n';
  for (let j = 0; j < y.length; j++) if (j !== label) text += `  (and (>= Y_${j} Y_${label}))\n`;
  text += '))\n';
  return parseVnnlib(text, 'generated');
}
