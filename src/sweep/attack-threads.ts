// The sweep's attack (attack.ts) over worker threads: a batch of (input, eps) pairs is split into
// one contiguous part per thread (this one included), each attacked by the same synchronous
// attackPairs. A pair's attack depends only on its own input, epsilon and start points, and the
// start points on (seed, the input's position in the whole sweep, restart), which travel with
// the part as seedIds, so the counterexamples are the same whatever the split. A worker gets the
// network once and, per part, only the inputs its pairs read. The attack is as costly as the
// bounds on a large MLP, and before this it ran on one core.
import { NetThreadPool } from '../net-thread-pool.js';
import { defaultThreads } from '../bounds/threads.js';
import type { Network } from '../network.js';
import { inputSize } from '../network.js';
import { attackPairs, type AttackPair, type SweepAttackOptions } from './attack.js';

interface AttackJob { inputs: Float64Array; labels: Int32Array; pairs: AttackPair[]; opts: SweepAttackOptions }
export type ToAttackWorker = { kind: 'net'; id: number; net: Network } | ({ kind: 'job'; job: number; id: number } & AttackJob);
export type FromAttackWorker = { job: number; found?: (Float64Array | null)[]; error?: string };

const pool = new NetThreadPool<FromAttackWorker, (Float64Array | null)[]>(new URL('./attack-worker.js', import.meta.url), (m) =>
  m.error !== undefined ? new Error(m.error) : m.found!);

/** Pairs below which one thread does the batch (a worker round trip is not worth it). */
const MIN_PAIRS_PER_THREAD = 8;

/** attackPairs split over `threads` threads: the same counterexamples. */
export async function attackPairsThreaded(net: Network, inputs: Float64Array, labels: ArrayLike<number>, pairs: readonly AttackPair[], opts: SweepAttackOptions = {}, threads = defaultThreads()): Promise<(Float64Array | null)[]> {
  const parts = Math.max(1, Math.min(threads, Math.floor(pairs.length / MIN_PAIRS_PER_THREAD)));
  if (parts <= 1) return attackPairs(net, inputs, labels, pairs, opts);
  const n = inputSize(net);
  // only the attack's own settings travel (the caller's options may hold functions)
  const { restarts, steps, seed, maxRows } = opts;
  const per = Math.ceil(pairs.length / parts);
  const waits: Promise<(Float64Array | null)[]>[] = [];
  for (let k = 1; k < parts; k++) {
    const part = pairs.slice(k * per, (k + 1) * per);
    if (!part.length) break;
    // the part's inputs, renumbered in order of first use; seedIds keeps their start points
    const local = new Map<number, number>();
    for (const p of part) if (!local.has(p.input)) local.set(p.input, local.size);
    const sub = new Float64Array(local.size * n);
    const subLabels = new Int32Array(local.size);
    const seedIds = new Float64Array(local.size);
    for (const [input, at] of local) {
      sub.set(inputs.subarray(input * n, (input + 1) * n), at * n);
      subLabels[at] = labels[input];
      seedIds[at] = opts.seedIds?.[input] ?? input;
    }
    const job: AttackJob = {
      inputs: sub, labels: subLabels,
      pairs: part.map((p) => ({ input: local.get(p.input)!, eps: p.eps })), opts: { restarts, steps, seed, maxRows, seedIds: Array.from(seedIds) },
    };
    waits.push(pool.run(k - 1, net, job));
  }
  let mine: (Float64Array | null)[];
  try {
    mine = attackPairs(net, inputs, labels, pairs.slice(0, per), opts);
  } finally {
    await Promise.allSettled(waits);
    pool.release();
  }
  const rest = await Promise.all(waits);
  return mine.concat(...rest);
}
