// The one optimiser (src/train/adam.ts): Adam's update as Kingma & Ba write it, with bias
// correction, ascent and projection, checked value for value against that formula written out
// here, including the parameters it skips (gradient and moments only ever 0, inside the clamp
// range), and keepRows keeping the moments of the rows it keeps.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { Adam } from '../src/train/adam.js';
import { makeRng } from '../src/train/rng.js';

/** The textbook update of every entry, no shortcut. */
function reference(p: Float64Array, m: Float64Array, v: Float64Array, g: Float64Array, t: number, lr: number, ascend: boolean, lo: number, hi: number): void {
  const b1 = 0.9, b2 = 0.999, eps = 1e-8;
  for (let k = 0; k < p.length; k++) {
    m[k] = b1 * m[k] + (1 - b1) * g[k];
    v[k] = b2 * v[k] + (1 - b2) * g[k] * g[k];
    const mh = m[k] / (1 - Math.pow(b1, t)), vh = v[k] / (1 - Math.pow(b2, t));
    p[k] += (ascend ? 1 : -1) * lr * mh / (Math.sqrt(vh) + eps);
    p[k] = Math.min(hi, Math.max(lo, p[k]));
  }
}

test('every step equals the written-out update, for entries with gradient 0 (inside and outside the clamp range) too', () => {
  const rng = makeRng(5);
  const n = 400;
  // a third of the entries start outside [0, 1]: a skipped step would leave them unclamped
  const init = Float64Array.from({ length: n }, (_, k) => (k % 3 === 0 ? 2 * rng.next() - 0.5 : rng.next()));
  const p = init.slice(), rp = init.slice(), rm = new Float64Array(n), rv = new Float64Array(n);
  const adam = new Adam([p]);
  for (let t = 1; t <= 30; t++) {
    // entries k ≡ 1 (mod 4) have gradient 0 until step 10, then some gradient: their moments start late
    const g = Float64Array.from({ length: n }, (_, k) => (k % 4 === 0 || (k % 4 === 1 && t < 10) ? 0 : rng.gaussian()));
    adam.step([g], 0.05, { ascend: true, lo: 0, hi: 1 });
    reference(rp, rm, rv, g, t, 0.05, true, 0, 1);
    for (let k = 0; k < n; k++) assert.ok(Math.abs(adam.parameters[0][k] - rp[k]) <= 1e-15, `step ${t}, entry ${k}: ${adam.parameters[0][k]} vs ${rp[k]}`);
  }
  // every entry ends inside the clamp range, and one that only ever had gradient 0 is where the clamp put it
  for (let k = 0; k < n; k++) assert.ok(adam.parameters[0][k] >= 0 && adam.parameters[0][k] <= 1);
  for (let k = 0; k < n; k += 4) assert.is(adam.parameters[0][k], Math.min(1, Math.max(0, init[k])));
});

test('descent without a clamp minimises a quadratic', () => {
  const target = Float64Array.of(3, -2, 0.5);
  const p = new Float64Array(3);
  const adam = new Adam([p]);
  for (let t = 0; t < 2000; t++) {
    const x = adam.parameters[0];
    adam.step([Float64Array.from(x, (xi, k) => 2 * (xi - target[k]))], 0.05);
  }
  for (let k = 0; k < 3; k++) assert.ok(Math.abs(adam.parameters[0][k] - target[k]) < 1e-3, `${adam.parameters[0][k]} vs ${target[k]}`);
});

test('keepRows keeps the kept rows\' parameters and moments', () => {
  const R = 3, w = 4;
  const a = Float64Array.from({ length: R * w }, (_, k) => 0.1 * k);
  const b = a.slice();
  const adamA = new Adam([a]), adamB = new Adam([b]);
  const g = Float64Array.from({ length: R * w }, (_, k) => Math.sin(k + 1));
  adamA.step([g], 0.1);
  adamB.step([g], 0.1);
  // A drops row 1; B keeps every row: rows 0 and 2 must move alike from here on
  adamA.keepRows([0, 2], R);
  const g2 = Float64Array.from({ length: R * w }, (_, k) => Math.cos(k));
  const kept = Float64Array.from([...g2.subarray(0, w), ...g2.subarray(2 * w, 3 * w)]);
  adamA.step([kept], 0.1);
  adamB.step([g2], 0.1);
  const pa = adamA.parameters[0], pb = adamB.parameters[0];
  for (let j = 0; j < w; j++) {
    assert.is(pa[j], pb[j]);
    assert.is(pa[w + j], pb[2 * w + j]);
  }
});

test('a step over `only` the entries that can move equals a step over all (projected, same bits)', () => {
  const n = 40, at = Int32Array.from([1, 4, 5, 17, 30, 39]);
  const a = Float64Array.from({ length: n }, (_, k) => (k % 3) / 2);
  const b = a.slice();
  const adamA = new Adam([a]), adamB = new Adam([b]);
  for (let t = 0; t < 6; t++) {
    // gradients only on `at` (other entries 0, as α of neurons a domain leaves stable)
    const g = new Float64Array(n);
    for (const k of at) g[k] = Math.sin(t + k);
    adamA.step([g], 0.3, { ascend: true, lo: 0, hi: 1, only: [at] });
    adamB.step([g], 0.3, { ascend: true, lo: 0, hi: 1 });
  }
  const pa = adamA.parameters[0], pb = adamB.parameters[0];
  for (let k = 0; k < n; k++) assert.ok(Object.is(pa[k], pb[k]), `entry ${k}: ${pa[k]} vs ${pb[k]}`);
  assert.ok(at.some((k) => pa[k] !== (k % 3) / 2), 'the listed entries moved');
});

test.run();
