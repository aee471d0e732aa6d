// The MILP's relaxation of hidden sigmoids (src/milp/encode/sigmoid-lines.ts, ops/sigmoid.ts):
// its lines contain σ's graph on every kind of interval, a network's encoding contains every
// real point of the box, MILP/LP lower bounds never exceed sampled or attacked minima, points
// reported are real ones, and the registry says what it relaxes.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { sigma, sigmoidRelaxation } from '../src/milp/encode/sigmoid-lines.js';
import { encodeNetwork } from '../src/milp/encode/network.js';
import { milpSupport } from '../src/milp/encode/ops/index.js';
import { milpFindInSet, milpMinimizeLinear, milpVerify } from '../src/milp/index.js';
import { lpFindEach } from '../src/milp/lp-find.js';
import { crownLayerBounds, ibpLayerBounds } from '../src/bounds/index.js';
import { forward } from '../src/forward.js';
import { inputGradient } from '../src/gradient.js';
import type { Network } from '../src/network.js';
import { inputSize, logitNetwork, outputSize } from '../src/network.js';
import { conjunctionViolation } from '../src/spec/property.js';
import { pointsInBox, randomBoxes, randomNetwork, seededRng } from './helpers/random-network.js';
import type { Rng } from './helpers/random-network.js';

test('sigmoid lines: below and above σ on convex, concave, mixed, wide, narrow and extreme intervals', () => {
  const r = seededRng(3);
  const intervals: [number, number][] = [[-3, -1], [0.5, 4], [-2, 3], [-0.1, 0.1], [-30, 30], [-40, -20], [15, 35], [-1e-3, 2e-3], [0, 5], [-5, 0], [-8, 0.2], [-0.2, 8]];
  for (let k = 0; k < 200; k++) {
    const c = (r() - 0.5) * 20, w = r() < 0.3 ? r() * 1e-3 : r() * 12;
    intervals.push([c - w / 2, c + w / 2]);
  }
  for (const points of [1, 2, 4, 7]) {
    for (const [l, u] of intervals) {
      const rel = sigmoidRelaxation(l, u, points);
      // lines on both sides wherever σ is not flat over the interval
      if (u - l >= 1e-3 && sigma(u) - sigma(l) >= 1e-3) assert.ok(rel.lower.length > 0 && rel.upper.length > 0, `[${l}, ${u}]: lines on both sides`);
      for (let s = 0; s <= 400; s++) {
        const x = s === 400 ? u : l + ((u - l) * s) / 400;
        const y = sigma(x);
        assert.ok(rel.lo <= y && y <= rel.hi, `[${l}, ${u}] at ${x}: σ = ${y} outside [${rel.lo}, ${rel.hi}]`);
        for (const { slope, icpt } of rel.lower) assert.ok(slope * x + icpt <= y, `[${l}, ${u}] (${points} points) at ${x}: lower line ${slope * x + icpt} above σ = ${y}`);
        for (const { slope, icpt } of rel.upper) assert.ok(slope * x + icpt >= y, `[${l}, ${u}] (${points} points) at ${x}: upper line ${slope * x + icpt} below σ = ${y}`);
      }
    }
  }
});

test('sigmoid lines: tighter than the interval [σ(l), σ(u)], and closer to σ with more tangent points', () => {
  for (const [l, u] of [[-4, -0.5], [-3, 2], [-1, 4]] as [number, number][]) {
    // the largest vertical gap between the relaxation's two sides over [l, u]
    const width = (points: number): number => {
      const rel = sigmoidRelaxation(l, u, points);
      let worst = 0;
      for (let s = 0; s <= 200; s++) {
        const x = l + ((u - l) * s) / 200;
        const lo = Math.max(rel.lo, ...rel.lower.map((q) => q.slope * x + q.icpt));
        const hi = Math.min(rel.hi, ...rel.upper.map((q) => q.slope * x + q.icpt));
        worst = Math.max(worst, hi - lo);
      }
      return worst;
    };
    const box = sigma(u) - sigma(l);
    assert.ok(width(1) < 0.8 * box, `[${l}, ${u}]: one point ${width(1)} vs the interval's ${box}`);
    assert.ok(width(6) < width(1), `[${l}, ${u}]: six points ${width(6)} not tighter than one ${width(1)}`);
  }
});

test('registry: hidden sigmoids are relaxed, ReLU nets and a final sigmoid (on the logit) are exact', () => {
  const r = seededRng(5);
  const sig = randomNetwork(r, { kind: 'sigmoid', depth: 2 });
  const sup = milpSupport(sig);
  assert.is(sup.support, 'relaxed');
  assert.ok(sup.support === 'relaxed' && /sigmoid/.test(sup.how.join()));
  assert.is(milpSupport(randomNetwork(r, { kind: 'dense' })).support, 'exact');
  assert.is(milpSupport(randomNetwork(r, { kind: 'residual' })).support, 'exact');
  // a one-hidden-ReLU net with a sigmoid head: the MILP takes its logit, which is exact
  const head: Network = { ...randomNetwork(r, { kind: 'dense', outputs: 1 }) };
  head.layers = [...head.layers, { name: 'sigmoid', op: { kind: 'sigmoid' }, inputs: [head.layers.length - 1], shape: [1] }];
  assert.is(milpSupport(head).support, 'relaxed');
  assert.is(milpSupport(logitNetwork(head)).support, 'exact');
});

/** Random sigmoid nets (dense/sigmoid MLPs, and conv nets where a sigmoid follows the pooling). */
function sigmoidNets(seed: number, count: number): Network[] {
  const r = seededRng(seed);
  const out: Network[] = [];
  while (out.length < count) {
    const net = randomNetwork(r, { kind: out.length % 3 === 2 ? 'conv' : 'sigmoid', weightScale: 1 + 2 * r() });
    if (net.layers.some((l) => l.op.kind === 'sigmoid')) out.push(net);
  }
  return out;
}

test('encoding of random sigmoid nets contains every real point: forward assignments satisfy all rows', () => {
  const r = seededRng(11);
  for (const net of sigmoidNets(11, 9)) {
    const { boxes } = randomBoxes(r, net, 1, { maxRadius: 1.5 });
    const box = { lower: boxes.lower, upper: boxes.upper };
    for (const lb of [undefined, ibpLayerBounds(net, boxes), crownLayerBounds(net, boxes)]) {
      const enc = encodeNetwork(net, box, { layerBounds: lb });
      assert.is(enc.exact, false);
      assert.ok(enc.sigmoid.relaxed > 0 && enc.sigmoid.rows > 0);
      const pts = pointsInBox(r, boxes, 0, 300);
      const n = inputSize(net);
      for (let p = 0; p < 300; p++) {
        const x = pts.subarray(p * n, (p + 1) * n);
        const v = enc.builder.assignment(x);
        const viol = enc.builder.violation(v);
        assert.ok(viol <= 1e-12, `${net.name}: a real point violates the encoding by ${viol}`);
        const y = forward(net, x, 1);
        enc.outputs.forEach((e, k) => assert.ok(Math.abs(enc.builder.value(e, v) - y[k]) < 1e-9));
      }
    }
  }
});

/** The smallest c·y found by sampling and by projected gradient descent from the best samples. */
function attackedMinimum(net: Network, lower: Float64Array, upper: Float64Array, c: Float64Array, r: Rng): number {
  const n = lower.length;
  const boxes = { lower, upper, count: 1 };
  const samples = 400;
  const xs = pointsInBox(r, boxes, 0, samples);
  const ys = forward(net, xs, samples);
  const m = outputSize(net);
  const val = (y: ArrayLike<number>, o: number) => { let s = 0; for (let k = 0; k < m; k++) s += c[k] * y[o + k]; return s; };
  const order = [...Array(samples).keys()].sort((a, b) => val(ys, a * m) - val(ys, b * m));
  let best = val(ys, order[0] * m);
  for (const start of order.slice(0, 5)) {
    const x = xs.slice(start * n, (start + 1) * n);
    for (let it = 0; it < 60; it++) {
      const { grad } = inputGradient(net, x, 1, c);
      for (let i = 0; i < n; i++) x[i] = Math.min(upper[i], Math.max(lower[i], x[i] - 0.05 * (upper[i] - lower[i]) * Math.sign(grad[i])));
      best = Math.min(best, val(forward(net, x, 1), 0));
    }
  }
  return best;
}

test('random sigmoid nets: MILP/LP lower bounds ≤ sampled and attacked minima; reported values replay', async () => {
  const r = seededRng(23);
  for (const net of sigmoidNets(23, 8)) {
    const { boxes } = randomBoxes(r, net, 1, { maxRadius: 1 });
    const { lower, upper } = boxes;
    const m = outputSize(net);
    const c = Float64Array.from({ length: m }, () => r() * 2 - 1);
    const layerBounds = crownLayerBounds(net, boxes);
    for (const solver of ['bab', 'mip'] as const) {
      const res = await milpMinimizeLinear(net, { lower, upper }, c, { timeLimitS: 20, layerBounds, solver });
      const attacked = attackedMinimum(net, lower, upper, c, r);
      const tol = 1e-7 * (1 + Math.abs(attacked));
      assert.ok(res.bound <= attacked + tol, `${net.name} (${solver}): bound ${res.bound} above the attacked minimum ${attacked}`);
      if (res.input && res.value !== undefined) {
        // the value reported is the network's own at the reported point, never the relaxation's
        const y = forward(net, res.input, 1);
        let v = 0;
        for (let k = 0; k < m; k++) v += c[k] * y[k];
        assert.ok(Math.abs(v - res.value) < 1e-9 * (1 + Math.abs(v)), `${net.name} (${solver}): value ${res.value} replays to ${v}`);
        for (let i = 0; i < lower.length; i++) assert.ok(res.input[i] >= lower[i] && res.input[i] <= upper[i]);
      }
      if (res.status === 'optimal') assert.ok(res.value! - res.bound <= 1e-6 * (1 + Math.abs(res.value!)), `${net.name}: 'optimal' with a gap`);
    }
  }
});

test('random sigmoid nets: verified only where no sampled point is misclassified; counterexamples replay', async () => {
  const r = seededRng(31);
  let verified = 0, falsified = 0;
  for (const net of sigmoidNets(31, 8)) {
    const { boxes, centres } = randomBoxes(r, net, 1, { maxRadius: 0.4 });
    const label = argmax(forward(net, centres, 1));
    const res = await milpVerify(net, { lower: boxes.lower, upper: boxes.upper }, label, { timeLimitS: 20, layerBounds: crownLayerBounds(net, boxes) });
    const pts = pointsInBox(r, boxes, 0, 500);
    const ys = forward(net, pts, 500);
    const m = outputSize(net);
    let sampledFlip = false;
    for (let p = 0; p < 500; p++) if (argmax(ys.subarray(p * m, (p + 1) * m)) !== label) sampledFlip = true;
    if (res.status === 'verified') { verified++; assert.not.ok(sampledFlip, `${net.name}: verified, but a sampled point changes class`); }
    if (res.status === 'falsified') {
      falsified++;
      const y = forward(net, res.counterexample!, 1);
      assert.ok(argmax(y) !== label, `${net.name}: the counterexample does not replay`);
    }
  }
  assert.ok(verified > 0, 'some random instance is verified through the relaxation');
  assert.ok(verified + falsified > 0);
});

test('random sigmoid nets: a found witness lies in the unsafe set on the real network', async () => {
  const r = seededRng(41);
  for (const net of sigmoidNets(41, 6)) {
    const { boxes } = randomBoxes(r, net, 1, { maxRadius: 0.6 });
    const m = outputSize(net);
    // unsafe: y_0 − y_1 ≤ t, with t the median of sampled values (so both answers occur)
    const pts = pointsInBox(r, boxes, 0, 101);
    const ys = forward(net, pts, 101);
    const vals = Array.from({ length: 101 }, (_, p) => ys[p * m] - ys[p * m + 1]).sort((a, b) => a - b);
    for (const t of [vals[0] - 0.5, vals[50]]) {
      const a = new Float64Array(m); a[0] = 1; a[1] = -1;
      const conj = { a, b: new Float64Array([t]), rows: 1 };
      const res = await milpFindInSet(net, { lower: boxes.lower, upper: boxes.upper }, [conj], { timeLimitS: 20, layerBounds: crownLayerBounds(net, boxes) });
      if (res.status === 'found') assert.ok(conjunctionViolation(conj, forward(net, res.witness!.input, 1)) <= 0, `${net.name}: witness does not replay`);
      if (res.status === 'infeasible') assert.ok(vals[0] > t, `${net.name}: infeasible, but a sampled point reaches ${vals[0]} ≤ ${t}`);
      if (t === vals[50]) assert.is.not(res.status, 'infeasible', `${net.name}: a sampled point lies in the set`);
    }
  }
});

test('random sigmoid nets: the one-LP disjunct queries (lp-find) close only what no point reaches, agree with the MILP path, and replay', async () => {
  const r = seededRng(53);
  let closed = 0;
  for (const net of sigmoidNets(53, 9).filter((q) => q.layers.every((l) => l.op.kind !== 'relu' && l.op.kind !== 'maxpool2d'))) {
    const { boxes } = randomBoxes(r, net, 1, { maxRadius: 0.5 });
    const box = { lower: boxes.lower, upper: boxes.upper };
    const m = outputSize(net);
    const pts = pointsInBox(r, boxes, 0, 300);
    const ys = forward(net, pts, 300);
    // one disjunct per other class j: y_0 − y_j ≤ t_j, t_j a little below or at the sampled minimum
    const conjs = Array.from({ length: m - 1 }, (_, q) => {
      const j = q + 1;
      let lo = Infinity;
      for (let p = 0; p < 300; p++) lo = Math.min(lo, ys[p * m] - ys[p * m + j]);
      const a = new Float64Array(m); a[0] = 1; a[j] = -1;
      return { a, b: new Float64Array([q % 2 ? lo : lo - 0.3]), rows: 1 };
    });
    const layerBounds = crownLayerBounds(net, boxes);
    const lp = await lpFindEach(net, box, conjs, { deadline: Date.now() + 20_000, layerBounds });
    for (let k = 0; k < conjs.length; k++) {
      const d = lp.perDisjunct[k]!;
      if (d.status === 'infeasible') {
        closed++;
        for (let p = 0; p < 300; p++) assert.ok(conjunctionViolation(conjs[k], ys.subarray(p * m, (p + 1) * m)) > 0, `${net.name}: disjunct ${k} closed, but a sampled point reaches it`);
        const alone = await milpFindInSet(net, box, [conjs[k]], { timeLimitS: 20, layerBounds });
        assert.is.not(alone.status, 'found', `${net.name}: the LP closed disjunct ${k}, the MILP path found a point`);
      }
    }
    if (lp.witness) assert.ok(conjunctionViolation(conjs[lp.witness.disjunct], forward(net, lp.witness.input, 1)) <= 0, `${net.name}: the LP witness does not replay`);
  }
  assert.ok(closed > 0, 'the LP closes some disjunct');
});

function argmax(y: ArrayLike<number>): number {
  if (y.length === 1) return y[0] > 0 ? 1 : 0;
  let k = 0;
  for (let i = 1; i < y.length; i++) if (y[i] > y[k]) k = i;
  return k;
}

test.run();
