// Soundness against adversarial points: projected signed-gradient descent on each margin row
// (inputGradient) from corners and random starts inside the box; every visited point's margin
// must stay at or above the IBP and CROWN lower bounds.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { outputSize } from '../src/network.js';
import { boundNetworkCpu } from '../src/bounds/index.js';
import { inputGradient } from '../src/gradient.js';
import { marginSpec } from '../src/spec/margins.js';
import { RANDOM_NET_KINDS, randInt, randomBoxes, randomNetwork, pointsInBox, seededRng } from './helpers/random-network.js';
import { tolOf } from './helpers/bounds-check.js';

const STARTS = 6, STEPS = 12;

for (const kind of RANDOM_NET_KINDS) {
  test(`${kind} networks: PGD on every margin stays above the lower bounds`, () => {
    let attacked = 0;
    for (let seed = 1; seed <= 20; seed++) {
      const rng = seededRng(seed * 104729 + kind.length);
      const net = randomNetwork(rng, { kind });
      const count = randInt(rng, 1, 3);
      const { boxes } = randomBoxes(rng, net, count, { maxRadius: 0.4, clip01: kind === 'conv' && seed % 2 === 0 });
      const labels = Array.from({ length: count }, () => randInt(rng, 0, outputSize(net) - 1));
      const spec = marginSpec(net, labels);
      const bounds = { ibp: boundNetworkCpu(net, boxes, { method: 'ibp', spec }), crown: boundNetworkCpu(net, boxes, { method: 'crown', spec }) };
      const n = boxes.lower.length / count, m = outputSize(net), rows = spec.rows;
      for (let b = 0; b < count; b++) {
        for (let k = 0; k < rows; k++) {
          const row = spec.c.subarray((b * rows + k) * m, (b * rows + k + 1) * m);
          const c = new Float64Array(STARTS * m);
          for (let s = 0; s < STARTS; s++) c.set(row, s * m);
          const x = pointsInBox(rng, boxes, b, STARTS, 2);
          for (let step = 0; step <= STEPS; step++) {
            const { output, grad } = inputGradient(net, x, STARTS, c);
            for (let s = 0; s < STARTS; s++) {
              let v = 0;
              for (let j = 0; j < m; j++) v += row[j] * output[s * m + j];
              for (const [name, r] of Object.entries(bounds)) {
                const lo = r.lower[b * rows + k], hi = r.upper[b * rows + k];
                if (!(v >= lo - tolOf(v) && v <= hi + tolOf(v))) assert.unreachable(`${kind} seed ${seed} box ${b} row ${k} step ${step}: margin ${v} outside ${name} [${lo}, ${hi}]`);
              }
              // descend: x ← clip(x − α·sign(∇), box), α shrinking from a quarter of the width
              const alpha = 0.25 * (1 - step / (STEPS + 1));
              for (let i = 0; i < n; i++) {
                const lo = boxes.lower[b * n + i], hi = boxes.upper[b * n + i];
                const g = grad[s * n + i];
                const xi = x[s * n + i] - alpha * (hi - lo) * Math.sign(g);
                x[s * n + i] = Math.min(hi, Math.max(lo, xi));
              }
            }
            attacked++;
          }
        }
      }
    }
    assert.ok(attacked > 100, `only ${attacked} attack steps ran`);
  });
}

test.run();
