// The sweep's attack (attack.ts) over worker threads: a batch of (input, eps) pairs is cut into
// chunks that the threads (this one included) claim one at a time from a shared counter until
// none is left, each attacked by the same synchronous attackPairs; so no thread idles while
// another still has a long part (a pair's cost varies: its rows stop at a counterexample). A
// pair's attack depends only on its own input, epsilon and start points, and the start points on
// (seed, the input's position in the whole sweep, restart), which travel with the batch as
// seedIds, so the counterexamples are the same whatever the split. A worker gets the network
// once and, per batch, only the inputs its pairs read. The attack is as costly as the bounds on a
// large MLP, and before this it ran on one core.
import { NetThreadPool } from '../net-thread-pool.js';
import { claimChunks } from '../claim-chunks.js';
import { defaultThreads } from '../bounds/threads.js';
import type { Network } from '../network.js';
import { inputSize } from '../network.js';
import { attackPairs, type AttackPair, type SweepAttackOptions } from './attack.js';

/** One batch as every thread gets it: the pairs' inputs renumbered, and the shared chunk counter. */
export interface AttackJob { inputs: Float64Array; labels: Int32Array; pairs: AttackPair[]; opts: SweepAttackOptions; chunk: number; next: Int32Array }
export type ToAttackWorker = { kind: 'net'; id: number; net: Network } | ({ kind: 'job'; job: number; id: number } & AttackJob);
export type FromAttackWorker = { job: number; found?: (Float64Array | null)[]; error?: string };

const pool = new NetThreadPool<FromAttackWorker, (Float64Array | null)[]>(new URL('./attack-worker.js', import.meta.url), (m) =>
  m.error !== undefined ? new Error(m.error) : m.found!);

/** Pairs below which one thread does the batch (a worker round trip is not worth it). */
const MIN_PAIRS_PER_THREAD = 8;

/** Chunks per thread and batch: small enough that the last one leaves little idle time. */
const CHUNKS_PER_THREAD = 6;

/** Attacks chunks of the job until none is left: per pair of the job, its counterexample where this thread found one, else null. */
export function attackChunks(net: Network, job: AttackJob): (Float64Array | null)[] {
  const out: (Float64Array | null)[] = new Array(job.pairs.length).fill(null);
  claimChunks(job.next, job.chunk, job.pairs.length, (start, size) => {
    const found = attackPairs(net, job.inputs, job.labels, job.pairs.slice(start, start + size), job.opts);
    found.forEach((x, k) => { out[start + k] = x; });
  });
  return out;
}

/** attackPairs split over `threads` threads: the same counterexamples. */
export async function attackPairsThreaded(net: Network, inputs: Float64Array, labels: ArrayLike<number>, pairs: readonly AttackPair[], opts: SweepAttackOptions = {}, threads = defaultThreads()): Promise<(Float64Array | null)[]> {
  const parts = Math.max(1, Math.min(threads, Math.floor(pairs.length / MIN_PAIRS_PER_THREAD)));
  if (parts <= 1) return attackPairs(net, inputs, labels, pairs, opts);
  const n = inputSize(net);
  // the pairs' inputs, renumbered in order of first use; seedIds keeps their start points
  const local = new Map<number, number>();
  for (const p of pairs) if (!local.has(p.input)) local.set(p.input, local.size);
  const sub = new Float64Array(new SharedArrayBuffer(local.size * n * 8));
  const subLabels = new Int32Array(local.size);
  const seedIds = new Float64Array(local.size);
  for (const [input, at] of local) {
    sub.set(inputs.subarray(input * n, (input + 1) * n), at * n);
    subLabels[at] = labels[input];
    seedIds[at] = opts.seedIds?.[input] ?? input;
  }
  // only the attack's own settings travel (the caller's options may hold functions)
  const { restarts, steps, seed, maxRows } = opts;
  const job: AttackJob = {
    inputs: sub, labels: subLabels,
    pairs: pairs.map((p) => ({ input: local.get(p.input)!, eps: p.eps, ...(p.start ? { start: p.start } : {}) })),
    opts: { restarts, steps, seed, maxRows, seedIds: Array.from(seedIds) },
    chunk: Math.max(1, Math.ceil(pairs.length / (parts * CHUNKS_PER_THREAD))),
    next: new Int32Array(new SharedArrayBuffer(4)),
  };
  const waits: Promise<(Float64Array | null)[]>[] = [];
  for (let k = 1; k < parts; k++) waits.push(pool.run(k - 1, net, job));
  let mine: (Float64Array | null)[];
  try {
    mine = attackChunks(net, job);
  } finally {
    await Promise.allSettled(waits);
    pool.release();
  }
  const rest = await Promise.all(waits);
  return mine.map((x, k) => x ?? rest.reduce<Float64Array | null>((got, r) => got ?? r[k], null));
}
