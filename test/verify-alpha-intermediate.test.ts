// α-CROWN-optimised intermediate (pre-activation) bounds: sound at sampled points and corners,
// never looser than CROWN, strictly tighter on some neurons; the spec bounds computed on them
// stay sound; the α stage hands them on. The exact extremes of every pre-activation (MILP, on
// the network cut after that layer) lie inside them.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import type { Network } from '../src/network.js';
import { INPUT } from '../src/network.js';
import type { LayerBounds } from '../src/bounds/types.js';
import type { Property } from '../src/spec/property.js';
import { unsafeDisjunct } from '../src/spec/property.js';
import { forward, forwardLayers } from '../src/forward.js';
import { crownLayerBounds } from '../src/bounds/index.js';
import { alphaCrown, optimisedBounds } from './helpers/alpha-bounds.js';
import { alphaStage } from '../src/verify/bounds-stage.js';
import { OpenSet } from '../src/verify/open-set.js';
import { milpMinimizeLinear } from '../src/milp/verify.js';
import { seededRng, gaussian, randomNetwork, randomBoxes, pointsInBox, randInt } from './helpers/random-network.js';

const TOL = 1e-9;

/** The layers whose outputs feed a ReLU (the pre-activations), in order. */
function preLayers(net: Network): number[] {
  return net.layers.flatMap((l) => (l.op.kind === 'relu' && l.inputs[0] !== INPUT ? [l.inputs[0]] : []));
}

/** Bounds of every ReLU's input, in preLayers order. */
interface PreBounds { lower: Float64Array[]; upper: Float64Array[] }

function preOf(net: Network, bounds: LayerBounds[]): PreBounds {
  const at = preLayers(net);
  return { lower: at.map((i) => bounds[i].lower.slice()), upper: at.map((i) => bounds[i].upper.slice()) };
}

/** Pre-activations z_k of every ReLU layer at x (the float64 forward pass). */
function preActivations(net: Network, x: Float64Array): Float64Array[] {
  const acts = forwardLayers(net, x, 1);
  return preLayers(net).map((i) => acts[i] as Float64Array);
}

function checkContains(net: Network, pre: PreBounds, x: Float64Array, what: string): void {
  preActivations(net, x).forEach((z, k) => {
    for (let i = 0; i < z.length; i++) {
      assert.ok(z[i] >= pre.lower[k][i] - TOL && z[i] <= pre.upper[k][i] + TOL,
        `${what}: layer ${k} neuron ${i}: z = ${z[i]} outside [${pre.lower[k][i]}, ${pre.upper[k][i]}]`);
    }
  });
}

const crownPre = (net: Network, lower: Float64Array, upper: Float64Array): PreBounds => preOf(net, crownLayerBounds(net, { lower, upper, count: 1 }));
const optimisedPre = (net: Network, lower: Float64Array, upper: Float64Array, o: { iterations?: number; batch?: number; deadline?: number } = {}): PreBounds =>
  preOf(net, optimisedBounds(net, lower, upper, o));

/** Counts neurons whose interval is strictly narrower than CROWN's; fails on any looser one. */
function compareToCrown(opt: PreBounds, crown: PreBounds, what: string): number {
  let tighter = 0;
  opt.lower.forEach((l, k) => {
    for (let i = 0; i < l.length; i++) {
      assert.ok(l[i] >= crown.lower[k][i], `${what}: layer ${k} neuron ${i}: lower ${l[i]} below CROWN ${crown.lower[k][i]}`);
      assert.ok(opt.upper[k][i] <= crown.upper[k][i], `${what}: layer ${k} neuron ${i}: upper ${opt.upper[k][i]} above CROWN ${crown.upper[k][i]}`);
      if (l[i] > crown.lower[k][i] + 1e-7 || opt.upper[k][i] < crown.upper[k][i] - 1e-7) tighter++;
    }
  });
  return tighter;
}

function deepNet(rng: () => number): Network {
  return randomNetwork(rng, { kind: 'dense', depth: randInt(rng, 2, 4), width: randInt(rng, 6, 12), outputs: 3 });
}

test('optimised intermediate bounds contain sampled and corner pre-activations, never looser than CROWN, tighter on some', () => {
  const rng = seededRng(2024);
  let tighter = 0, neurons = 0, unstableCrown = 0, unstableOpt = 0;
  for (let trial = 0; trial < 25; trial++) {
    const net = deepNet(rng);
    const { boxes } = randomBoxes(rng, net, 1, { maxRadius: 0.8 });
    const crown = crownPre(net, boxes.lower, boxes.upper);
    const opt = optimisedPre(net, boxes.lower, boxes.upper, { iterations: 25, batch: 6 });
    const what = `trial ${trial}`;
    tighter += compareToCrown(opt, crown, what);
    // layer 0 is exact over the box: left as it is
    assert.equal(Array.from(opt.lower[0]), Array.from(crown.lower[0]));
    const n = boxes.lower.length, k = 400;
    const pts = pointsInBox(rng, boxes, 0, k, k / 2);
    for (let p = 0; p < k; p++) checkContains(net, opt, pts.subarray(p * n, (p + 1) * n), `${what} point ${p}`);
    opt.lower.forEach((l, kk) => {
      neurons += l.length;
      for (let i = 0; i < l.length; i++) {
        if (crown.lower[kk][i] < 0 && crown.upper[kk][i] > 0) unstableCrown++;
        if (l[i] < 0 && opt.upper[kk][i] > 0) unstableOpt++;
      }
    });
  }
  assert.ok(tighter > 0, `no neuron tightened (${neurons} neurons)`);
  assert.ok(unstableOpt < unstableCrown, `unstable: ${unstableOpt} optimised vs ${unstableCrown} CROWN`);
});

test('optimised intermediate bounds contain the exact (MILP) minimum and maximum of every pre-activation', async () => {
  const rng = seededRng(77);
  let checked = 0;
  for (let trial = 0; trial < 6; trial++) {
    const net = deepNet(rng);
    const { boxes } = randomBoxes(rng, net, 1, { maxRadius: 0.8 });
    const box = { lower: boxes.lower, upper: boxes.upper };
    const opt = optimisedPre(net, box.lower, box.upper, { iterations: 25, batch: 6 });
    for (let k = 1; k < opt.lower.length; k++) {
      // the network cut after the layer that outputs z_k: its exact extremes are the strongest attack
      const cut: Network = { ...net, layers: net.layers.slice(0, preLayers(net)[k] + 1) };
      for (let i = 0; i < opt.lower[k].length; i++) {
        const e = new Float64Array(opt.lower[k].length);
        e[i] = 1;
        const min = await milpMinimizeLinear(cut, box, e, { timeLimitS: 20 });
        e[i] = -1;
        const max = await milpMinimizeLinear(cut, box, e, { timeLimitS: 20 });
        assert.is(min.status, 'optimal');
        assert.is(max.status, 'optimal');
        assert.ok(opt.lower[k][i] <= min.value! + 1e-7 && opt.upper[k][i] >= -max.value! - 1e-7,
          `trial ${trial} layer ${k} neuron ${i}: [${opt.lower[k][i]}, ${opt.upper[k][i]}] vs exact [${min.value}, ${-max.value!}]`);
        checked++;
      }
    }
  }
  assert.ok(checked > 20, `only ${checked} neurons checked`);
});

test('spec bounds on the optimised pre-bounds stay below the values at sampled points', () => {
  const rng = seededRng(77);
  let improved = 0, rowsSeen = 0;
  for (let trial = 0; trial < 15; trial++) {
    const net = deepNet(rng);
    const { boxes } = randomBoxes(rng, net, 1, { maxRadius: 0.6 });
    const m = 3, R = 4;
    const c = Float64Array.from({ length: R * m }, () => gaussian(rng));
    const crown = crownPre(net, boxes.lower, boxes.upper);
    const opt = optimisedPre(net, boxes.lower, boxes.upper, { iterations: 20 });
    const plain = alphaCrown(net, boxes.lower, boxes.upper, c, R, { iterations: 30 });
    const res = alphaCrown(net, boxes.lower, boxes.upper, c, R, { iterations: 30, intermediate: 20 });
    for (let r = 0; r < R; r++) {
      rowsSeen++;
      if (res.lower[r] > plain.lower[r] + 1e-6) improved++;
    }
    const n = boxes.lower.length, k = 300;
    const pts = pointsInBox(rng, boxes, 0, k, k / 3);
    for (let p = 0; p < k; p++) {
      const y = forward(net, pts.subarray(p * n, (p + 1) * n), 1);
      for (let r = 0; r < R; r++) {
        let v = 0;
        for (let j = 0; j < m; j++) v += c[r * m + j] * y[j];
        assert.ok(v >= res.lower[r] - TOL, `trial ${trial} row ${r}: c·y = ${v} below the bound ${res.lower[r]}`);
      }
    }
  }
  assert.ok(improved > 0, `tighter pre-bounds never raised a spec bound (${rowsSeen} rows)`);
});

test('a deadline already passed leaves the CROWN bounds (a copy)', () => {
  const rng = seededRng(5);
  const net = deepNet(rng);
  const { boxes } = randomBoxes(rng, net, 1, { maxRadius: 0.8 });
  const crown = crownPre(net, boxes.lower, boxes.upper);
  const opt = optimisedPre(net, boxes.lower, boxes.upper, { deadline: Date.now() - 1 });
  assert.equal(opt.lower.map((a) => Array.from(a)), crown.lower.map((a) => Array.from(a)));
  assert.equal(opt.upper.map((a) => Array.from(a)), crown.upper.map((a) => Array.from(a)));
});

test('the α stage returns the optimised pre-bounds and closes only disjuncts no sampled point reaches', () => {
  const rng = seededRng(31);
  let tightened = 0, ran = 0;
  for (let trial = 0; trial < 12; trial++) {
    const net = deepNet(rng);
    const { boxes } = randomBoxes(rng, net, 1, { maxRadius: 0.5 });
    // robustness-style property around the box: y_0 ≥ y_j, unsafe disjuncts y_j − y_0 ≥ 0
    const unsafe = [1, 2].map((j) => {
      const a = new Float64Array(3); a[0] = 1; a[j] = -1;
      return { a, b: new Float64Array([0]), rows: 1 };
    });
    const prop: Property = { source: 'test', numInputs: boxes.lower.length, numOutputs: 3, regions: [{ lower: boxes.lower, upper: boxes.upper, unsafe }] };
    const open = new OpenSet(prop);
    const res = alphaStage(net, open, { iterations: 30, intermediateIterations: 20, deadline: Date.now() + 60_000 });
    const stagePre = res.bounds[0] && preOf(net, res.bounds[0]);
    const crown = crownPre(net, boxes.lower, boxes.upper);
    if (stagePre) {
      ran++;
      tightened += compareToCrown(stagePre, crown, `trial ${trial}`);
    }
    const n = boxes.lower.length, k = 300;
    const pts = pointsInBox(rng, boxes, 0, k, k / 2);
    for (let p = 0; p < k; p++) {
      const x = pts.subarray(p * n, (p + 1) * n);
      if (stagePre) checkContains(net, stagePre, x, `trial ${trial} point ${p}`);
      const d = unsafeDisjunct(prop.regions[0], forward(net, x, 1));
      if (d >= 0) assert.ok(open.open[0][d], `trial ${trial}: disjunct ${d} closed but reached at point ${p}`);
    }
  }
  assert.ok(ran > 0 && tightened > 0, `stage ran on ${ran} regions, tightened ${tightened} neurons`);
});

test.run();
