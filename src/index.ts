// The library API: `import { loadNetwork, bound, verify, sweep, attack } from 'veribound'`.
// A small, typed surface over the same code the CLI runs (nothing here is a second
// implementation): load a network, bound a batch of boxes (IBP, CROWN, α-CROWN; lower and upper
// bounds of C·y), verify a VNN-LIB or in-memory property through the cascade, sweep epsilons
// over labelled inputs, find a minimal adversarial example. Every function takes plain typed
// arrays and returns plain data; the CPU engine is the default (deterministic, no GPU needed),
// `backend: 'auto' | 'gpu'` picks WebGPU. Errors caused by the caller's input are `UserError`s.
//
// Soundness of the α-CROWN path: α-CROWN's lower bound of every row of C·y is sound for any
// slopes α in [0, 1] (alpha-crown.ts); the upper bound of a row is minus the α-CROWN lower bound
// of its negation. Both are intersected with CROWN's bounds, and the intersection of two sound
// intervals is sound.
import type { Network } from './network.js';
import { inputSize, logitNetwork, outputSize } from './network.js';
import type { BoundEngine, BoundResult, Boxes, Spec } from './bounds/types.js';
import { UserError } from './errors.js';
import type { Backend } from './engine.js';
import { selectEngine } from './engine.js';
import { loadNetwork as loadNetworkFile } from './models.js';
import { forward as forward64 } from './forward.js';
import { marginSpec, predictedClass } from './spec/margins.js';
import type { Property } from './spec/property.js';
import { readVnnlib } from './spec/vnnlib.js';
import { verifyProperty } from './verify/cascade.js';
import type { VerifyOutcome } from './verify/outcome.js';
import { denseChain } from './verify/dense-chain.js';
import { alphaCrown } from './verify/alpha-crown.js';
import type { Schedule } from './sweep/scheduler.js';
import { runSweep, verifiedCounts } from './sweep/scheduler.js';
import { predict } from './sweep/classify.js';
import { minimalAdversarial } from './milp/adversarial.js';
import type { AdversarialResult } from './milp/adversarial.js';
import { crownLayerBounds } from './bounds/index.js';

export type { Network, Layer, Op, Shape } from './network.js';
export type { Boxes, Spec, BoundResult, BoundEngine } from './bounds/types.js';
export type { Property, InputRegion, Conjunction } from './spec/property.js';
export type { VerifyOutcome, Answer, Counterexample, StageRecord, StageName } from './verify/outcome.js';
export type { AdversarialResult } from './milp/adversarial.js';
export type { Backend } from './engine.js';
export type { Schedule } from './sweep/scheduler.js';
export type { Dataset } from './data/dataset.js';
export { UserError } from './errors.js';
export { VERSION } from './run-meta.js';
export { bundledModels } from './models.js';
export { inputSize, outputSize, parameterCount, describeLayer, logitNetwork } from './network.js';
export { marginSpec, predictedClass } from './spec/margins.js';
export { readVnnlib, parseVnnlib } from './spec/vnnlib.js';
export { loadOnnxBytes } from './onnx/load.js';
export { saveOnnx } from './onnx/export.js';
export { loadDataset } from './data/load.js';
export { dataSpecFor } from './data/for-network.js';

/**
 * Loads a network: a bundled name (`'mnist-mlp'`, see {@link bundledModels}) or a path to an
 * ONNX file. Throws a {@link UserError} naming the file, op or shape it cannot read.
 */
export function loadNetwork(nameOrPath: string): Network {
  return loadNetworkFile(nameOrPath);
}

/** The float64 forward pass of `batch` inputs (row-major, `batch × inputSize(net)` values). */
export function forward(net: Network, x: ArrayLike<number>, batch = 1): Float64Array {
  const v = Float64Array.from(x);
  if (v.length !== batch * inputSize(net)) throw new UserError(`forward: ${v.length} values for ${batch} input(s) of ${inputSize(net)}`);
  return forward64(net, v, batch);
}

/**
 * The L∞ boxes `[x - eps, x + eps] ∩ [lo, hi]` around each input: `inputs` holds
 * `count × inputSize` values, `eps` one radius for all or one per input.
 */
export function boxesAround(inputs: ArrayLike<number>, count: number, eps: number | ArrayLike<number>, domain: [number, number] = [0, 1]): Boxes {
  if (!(count > 0) || inputs.length % count !== 0) throw new UserError(`boxesAround: ${inputs.length} values are not ${count} inputs`);
  const n = inputs.length / count;
  const lower = new Float64Array(inputs.length), upper = new Float64Array(inputs.length);
  for (let b = 0; b < count; b++) {
    const e = typeof eps === 'number' ? eps : eps[b];
    if (!(e >= 0)) throw new UserError(`boxesAround: eps ${e} of input ${b} is not a radius >= 0`);
    for (let i = b * n; i < (b + 1) * n; i++) {
      lower[i] = Math.max(domain[0], inputs[i] - e);
      upper[i] = Math.min(domain[1], inputs[i] + e);
    }
  }
  return { lower, upper, count };
}

export type BoundMethodName = 'ibp' | 'crown' | 'alpha-crown';

export interface BoundApiOptions {
  /** 'crown' (default), 'ibp', or 'alpha-crown' (dense ReLU chains only; optimised slopes). */
  method?: BoundMethodName;
  /** C: bounds are of C·y (e.g. {@link marginSpec}); none: of the output y itself. */
  spec?: Spec;
  /** 'cpu' (default), 'gpu' or 'auto'; ignored when `engine` is given. */
  backend?: Backend;
  /** An engine to reuse across calls (you dispose it); by default one is made and disposed. */
  engine?: BoundEngine;
  /** α-CROWN: Adam steps per bound (default 50). */
  iterations?: number;
}

/**
 * Sound lower and upper bounds of C·y (or y) over each box: `result.lower[b * rows + r]` is a
 * lower bound of row r over box b. IBP is the loosest and fastest, CROWN the default,
 * α-CROWN the tightest (and slowest).
 */
export async function bound(net: Network, boxes: Boxes, opts: BoundApiOptions = {}): Promise<BoundResult> {
  const method = opts.method ?? 'crown';
  if (!['ibp', 'crown', 'alpha-crown'].includes(method)) throw new UserError(`bound: method '${method}': expected ibp, crown or alpha-crown`);
  const engine = opts.engine ?? await selectEngine(opts.backend ?? 'cpu', { log: () => {} });
  try {
    const crown = await engine.bound(net, boxes, { method: method === 'ibp' ? 'ibp' : 'crown', spec: opts.spec });
    if (method !== 'alpha-crown') return crown;
    return alphaTighten(net, boxes, crown, opts);
  } finally {
    if (!opts.engine) await engine.dispose();
  }
}

function alphaTighten(net: Network, boxes: Boxes, crown: BoundResult, opts: BoundApiOptions): BoundResult {
  const chain = denseChain(net);
  if (!chain) throw new UserError(`bound: alpha-crown needs a sequential dense ReLU network; ${net.name} has other layers (use crown)`);
  const n = inputSize(net), out = outputSize(net), R = crown.rows;
  const lower = Float64Array.from(crown.lower), upper = Float64Array.from(crown.upper);
  for (let b = 0; b < boxes.count; b++) {
    let c: Float64Array;
    if (!opts.spec) {
      c = new Float64Array(R * out);
      for (let r = 0; r < R; r++) c[r * out + r] = 1;
    } else c = opts.spec.shared ? opts.spec.c : opts.spec.c.subarray(b * R * out, (b + 1) * R * out);
    const lo = boxes.lower.subarray(b * n, (b + 1) * n), hi = boxes.upper.subarray(b * n, (b + 1) * n);
    const below = alphaCrown(chain, lo, hi, c, R, { iterations: opts.iterations });
    const above = alphaCrown(chain, lo, hi, c.map((v) => -v), R, { iterations: opts.iterations, pre: below.pre });
    for (let r = 0; r < R; r++) {
      lower[b * R + r] = Math.max(lower[b * R + r], below.lower[r]);
      upper[b * R + r] = Math.min(upper[b * R + r], -above.lower[r]);
    }
  }
  return { lower, upper, rows: R };
}

export interface VerifyApiOptions {
  /** Seconds for the whole cascade (default 60). */
  timeoutS?: number;
  /** Bound engine: 'cpu' (default), 'gpu' or 'auto'. */
  backend?: Backend;
  /** Seed of the attacks (default 1). */
  seed?: number;
  /** Receives one line per stage (default: silent). */
  log?: (line: string) => void;
}

/**
 * Verifies a property: a VNN-LIB file path, or an in-memory {@link Property} (e.g. from
 * {@link robustnessProperty}). `answer` is 'unsat' (the property holds: no input reaches the
 * unsafe set), 'sat' (with a `counterexample` replayed on the network), 'timeout' or 'unknown'.
 */
export async function verify(net: Network, property: Property | string, opts: VerifyApiOptions = {}): Promise<VerifyOutcome> {
  const prop = typeof property === 'string' ? readVnnlib(property) : property;
  const engine = await selectEngine(opts.backend ?? 'cpu', { log: () => {} });
  try {
    return await verifyProperty(net, prop, { timeoutS: opts.timeoutS ?? 60, engine, seed: opts.seed ?? 1, log: opts.log ?? (() => {}) });
  } finally {
    await engine.dispose();
  }
}

/**
 * The local-robustness property of input `x` with class `label` at radius `eps` (clipped to
 * [0, 1]): unsafe is any output where another class j scores at least as high (y_label − y_j ≤ 0).
 * For a one-output network (a logit, class 1 when positive) the unsafe side is the other sign.
 */
export function robustnessProperty(net: Network, x: ArrayLike<number>, label: number, eps: number): Property {
  const out = outputSize(net);
  const box = boxesAround(x, 1, eps);
  const unsafe = [];
  if (out === 1) {
    if (label !== 0 && label !== 1) throw new UserError(`robustnessProperty: label ${label} of a one-output network must be 0 or 1`);
    // class 1 ⇔ y > 0: unsafe for label 1 is y ≤ 0; for label 0 it is −y ≤ 0
    unsafe.push({ a: Float64Array.of(label === 1 ? 1 : -1), b: Float64Array.of(0), rows: 1 });
  } else {
    if (!Number.isInteger(label) || label < 0 || label >= out) throw new UserError(`robustnessProperty: label ${label} is not one of the ${out} classes`);
    for (let j = 0; j < out; j++) {
      if (j === label) continue;
      const a = new Float64Array(out);
      a[label] = 1; a[j] = -1;
      unsafe.push({ a, b: Float64Array.of(0), rows: 1 });
    }
  }
  return { source: `robustness of class ${label} at eps ${eps}`, numInputs: inputSize(net), numOutputs: out, regions: [{ lower: box.lower, upper: box.upper, unsafe }] };
}

export interface SweepApiOptions {
  /** Ascending radii (duplicates are dropped). */
  eps: readonly number[];
  /** 'crown' (default) or 'ibp'. */
  method?: 'ibp' | 'crown';
  backend?: Backend;
  /** How each input's epsilons are searched (default 'adaptive'; 'all' bounds every pair). */
  schedule?: Schedule;
  /** Most boxes per engine call (default 4096). */
  batch?: number;
}

export interface SweepApiResult {
  eps: number[];
  /** Inputs the network classifies correctly (the others are never verified). */
  correct: number;
  count: number;
  /** Certified robust accuracy per epsilon (verified / count). */
  robustAccuracy: number[];
  /** count × eps.length, 1 where input i is verified at eps k (row-major). */
  verified: Uint8Array;
  pairsBounded: number;
}

/**
 * Certified robust accuracy of `count` labelled inputs (`inputs`: count × inputSize values in
 * [0, 1]) at each epsilon. Verification is monotone in ε, so not every pair is bounded.
 */
export async function sweep(net0: Network, inputs: ArrayLike<number>, labels: ArrayLike<number>, opts: SweepApiOptions): Promise<SweepApiResult> {
  const net = logitNetwork(net0);
  const count = labels.length;
  const x = Float64Array.from(inputs);
  if (x.length !== count * inputSize(net)) throw new UserError(`sweep: ${x.length} input values for ${count} labels of ${inputSize(net)} values each`);
  const eps = [...new Set(opts.eps)].sort((a, b) => a - b);
  if (!eps.length || eps.some((e) => !(e >= 0))) throw new UserError('sweep: eps must be a non-empty list of radii >= 0');
  const { predicted } = predict(net, x, count);
  const candidates: number[] = [];
  for (let i = 0; i < count; i++) if (predicted[i] === labels[i]) candidates.push(i);
  const engine = await selectEngine(opts.backend ?? 'cpu', { log: () => {} });
  try {
    const run = await runSweep(engine, { net, inputs: x, labels, count, eps, candidates }, { method: opts.method ?? 'crown', schedule: opts.schedule ?? 'adaptive', batch: opts.batch });
    const counts = verifiedCounts(run, count, eps.length);
    return { eps, correct: candidates.length, count, robustAccuracy: counts.map((c) => c / count), verified: run.verified, pairsBounded: run.pairsBounded };
  } finally {
    await engine.dispose();
  }
}

export interface AttackApiOptions {
  /** The class to move away from (default: the network's class for x). */
  label?: number;
  /** 'linf' (default) or 'l1'. */
  norm?: 'linf' | 'l1';
  /** Seconds for the whole search (default 60). */
  timeoutS?: number;
  /** Per-value cap on the change. */
  maxChange?: number;
  /** Search only inside this L∞ radius. */
  radius?: number;
  /** The example must be classified as this class. */
  target?: number;
  /** L∞: bracket width at which the bisection stops (default 1e-4). */
  tolerance?: number;
}

/**
 * The smallest change to `x` (L∞ or L1, by MILP) that changes the network's decision. The
 * result's `adversarial` is replayed on the float64 forward pass; `lowerBound` is a proven lower
 * bound on the smallest distance; `status` 'optimal' / 'bracketed' mean the distance is (near)
 * minimal, 'timeout' with an `adversarial` means found but not proven minimal.
 */
export async function attack(net0: Network, x: ArrayLike<number>, opts: AttackApiOptions = {}): Promise<AdversarialResult> {
  const net = logitNetwork(net0);
  const v = Float64Array.from(x);
  if (v.length !== inputSize(net)) throw new UserError(`attack: ${v.length} values, ${net.name} takes ${inputSize(net)}`);
  const label = opts.label ?? predictedClass(forward64(net, v, 1));
  return minimalAdversarial(net, v, label, {
    norm: opts.norm ?? 'linf', timeLimitS: opts.timeoutS ?? 60, maxChange: opts.maxChange, radius: opts.radius, target: opts.target,
    tolerance: opts.tolerance,
    boundsFor: (box) => crownLayerBounds(net, { lower: box.lower, upper: box.upper, count: 1 }),
  });
}

