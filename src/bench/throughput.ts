// Bound throughput, shared by `veribound bench` and the repository's bench/gpu.ts: boxes of
// labelled inputs × epsilons, one timed engine call after a warm-up (compile, upload), the
// floating-point work of one box and the rate achieved. Timing is one wall-clock run, not
// repeated sampling: at software-adapter speeds one run can take minutes.
import type { Network } from '../network.js';
import { inputSize, size } from '../network.js';
import type { BoundEngine, BoundMethod, Boxes } from '../bounds/types.js';
import { marginSpec } from '../spec/margins.js';
import { verifiedAt } from '../sweep/scheduler.js';

/**
 * Floating-point operations of the interval (forward) passes of one box: centre, radius and
 * magnitude products of every Dense/Conv2d layer (3 × 2 per multiply-add).
 */
export function forwardFlops(net: Network): number {
  let f = 0;
  for (const l of net.layers) {
    const op = l.op;
    if (op.kind === 'dense') f += 3 * 2 * op.inFeatures * op.outFeatures;
    if (op.kind === 'conv2d') f += 3 * 2 * size(l.shape) * op.inChannels * op.kernel[0] * op.kernel[1];
  }
  return f;
}

/** Boxes [x − ε, x + ε] ∩ [0, 1] for each input × each ε (input-major), and each box's label. */
export function epsBoxes(inputs: ArrayLike<number>, labels: ArrayLike<number>, n: number, eps: readonly number[]): { boxes: Boxes; labels: number[] } {
  const b = labels.length;
  const count = b * eps.length;
  const lower = new Float64Array(count * n), upper = new Float64Array(count * n);
  const out: number[] = [];
  for (let i = 0; i < b; i++) {
    eps.forEach((e, k) => {
      const o = (i * eps.length + k) * n;
      for (let j = 0; j < n; j++) {
        const x = inputs[i * n + j];
        lower[o + j] = Math.max(0, x - e);
        upper[o + j] = Math.min(1, x + e);
      }
      out.push(labels[i]);
    });
  }
  return { boxes: { lower, upper, count }, labels: out };
}

export function firstBoxes(all: Boxes, count: number): Boxes {
  const n = all.lower.length / all.count;
  return { lower: all.lower.subarray(0, count * n), upper: all.upper.subarray(0, count * n), count };
}

export interface Throughput {
  boxes: number;
  seconds: number;
  /** A box is one (input, ε) pair, so this is also the pairs per second of a sweep. */
  boxesPerSecond: number;
  /** Per box: forward passes, plus the backward multiply-adds the GPU engine counted (CROWN). */
  flopsPerBox: number | null;
  gflopsPerSecond: number | null;
  /** Boxes whose every margin bound is positive (a check that the run did real work). */
  verified: number;
  /** GPU engines: backward multiply-adds of the timed call (to reuse for a CPU row). */
  backwardMacs?: number;
}

/**
 * Times one engine call on the first `count` boxes after a one-box warm-up. `knownMacs`: the
 * backward multiply-adds of the same call measured on the GPU, for engines that do not count.
 */
export async function measure(engine: BoundEngine, net: Network, all: Boxes, labels: readonly number[], method: BoundMethod, count: number, knownMacs?: number): Promise<Throughput> {
  if (all.lower.length / all.count !== inputSize(net)) throw new Error('measure: boxes do not fit the network');
  await engine.bound(net, firstBoxes(all, 1), { method, spec: marginSpec(net, labels.slice(0, 1)) });
  const stats = (engine as BoundEngine & { stats?: { backwardMacs: number } }).stats;
  const macs0 = stats?.backwardMacs ?? 0;
  const sub = firstBoxes(all, count);
  const spec = marginSpec(net, labels.slice(0, count));
  const t0 = performance.now();
  const r = await engine.bound(net, sub, { method, spec });
  const seconds = (performance.now() - t0) / 1000;
  const macs = stats ? stats.backwardMacs - macs0 : knownMacs;
  const flopsPerBox = method === 'ibp' ? forwardFlops(net) : macs === undefined ? null : forwardFlops(net) + (2 * macs) / count;
  let verified = 0;
  for (let b = 0; b < count; b++) if (verifiedAt(r, b)) verified++;
  return {
    boxes: count, seconds, boxesPerSecond: count / seconds, flopsPerBox,
    gflopsPerSecond: flopsPerBox === null ? null : (flopsPerBox * count) / seconds / 1e9, verified,
    ...(stats ? { backwardMacs: macs } : {}),
  };
}
