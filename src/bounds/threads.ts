// boundNetworkCpu over several threads: the boxes are cut into chunks that the threads (this one
// included) claim one at a time until none is left (box-chunks.ts), each bounded by the same
// synchronous code, so the results are the same bits as one call (a box's bounds never depend on
// the other boxes) and no thread waits while another still has a long range to go. Boxes and
// results travel in SharedArrayBuffers; a network is sent to each worker once and kept there.
import os from 'node:os';
import { NetThreadPool } from '../net-thread-pool.js';
import type { Network } from '../network.js';
import { UserError } from '../errors.js';
import { outputSize } from '../network.js';
import type { BoundOptions, BoundResult, Boxes } from './types.js';
import { boundNetworkCpu, checkSpec, type CpuBoundOptions } from './bound.js';
import { checkBoxes, planOf } from './plan.js';
import { boundChunks, type ChunkJob } from './box-chunks.js';

/** Messages to a worker: a network to keep, or a call's chunks to help with. */
export type ToWorker = { kind: 'net'; id: number; net: Network } | ({ kind: 'job'; job: number; id: number } & ChunkJob);
export type FromWorker = { job: number; error?: { message: string; user: boolean } };

const pool = new NetThreadPool<FromWorker, void>(new URL('./thread-worker.js', import.meta.url), (m) =>
  m.error ? (m.error.user ? new UserError(m.error.message) : new Error(m.error.message)) : undefined);

/** Ranges of boxes handed to workers so far in this process (tests check the pool was used). */
export function workerJobs(): number {
  return pool.jobsSent;
}

/**
 * Threads used by default: every core the machine has (commands take --threads to use fewer);
 * VERIBOUND_THREADS overrides it for a whole process tree (e.g. a test run on a shared machine).
 */
export function defaultThreads(): number {
  const env = Number(process.env.VERIBOUND_THREADS);
  if (Number.isInteger(env) && env >= 1) return env;
  return Math.max(1, os.availableParallelism?.() ?? os.cpus().length);
}

/**
 * Multiply-adds per box of one dense/conv pass (IBP does about two, CROWN many more), to leave
 * small jobs on this thread: a worker round trip costs about a millisecond.
 */
function macsPerBox(net: Network): number {
  let s = 0;
  for (const l of net.layers) if (l.op.kind === 'dense' || l.op.kind === 'conv2d') s += l.op.weight.length;
  return s;
}
const MIN_MACS_PER_THREAD = { ibp: 5e7, crown: 2e6 };

function sharedCopy(a: Float64Array): Float64Array {
  const s = new Float64Array(new SharedArrayBuffer(a.length * 8));
  s.set(a);
  return s;
}

/** Chunks per thread and call: small enough that the last one leaves little idle time. */
const CHUNKS_PER_THREAD = 8;
/** Most boxes per chunk (boundNetworkCpu's own CROWN chunk). */
const MAX_CHUNK = 128;

/** boundNetworkCpu split over `threads` threads when the work pays for it (same results). */
export async function boundNetworkThreaded(
  net: Network, boxes: Boxes, opts: BoundOptions & CpuBoundOptions, threads = defaultThreads(), minMacsPerThread = MIN_MACS_PER_THREAD[opts.method === 'ibp' ? 'ibp' : 'crown'],
): Promise<BoundResult> {
  const macs = boxes.count * macsPerBox(net);
  const parts = Math.min(threads, boxes.count, Math.floor(macs / minMacsPerThread));
  if (parts <= 1 || (opts.method !== 'ibp' && opts.method !== 'crown')) return boundNetworkCpu(net, boxes, opts);
  checkBoxes(net, boxes);
  const m = outputSize(net);
  const rows = opts.spec?.rows ?? m;
  if (opts.spec) checkSpec(net, opts.spec, boxes.count);
  const spec = opts.spec && !opts.spec.shared ? { ...opts.spec, c: sharedCopy(opts.spec.c) } : opts.spec;
  const job: ChunkJob = {
    lower: sharedCopy(boxes.lower), upper: sharedCopy(boxes.upper), inSize: planOf(net).inSize, count: boxes.count,
    chunk: Math.max(1, Math.min(MAX_CHUNK, Math.ceil(boxes.count / (parts * CHUNKS_PER_THREAD)))),
    next: new Int32Array(new SharedArrayBuffer(4)),
    opts: { ...opts, spec },
    outLower: new Float64Array(new SharedArrayBuffer(boxes.count * rows * 8)),
    outUpper: new Float64Array(new SharedArrayBuffer(boxes.count * rows * 8)),
  };
  const waits: Promise<void>[] = [];
  for (let k = 1; k < parts; k++) waits.push(pool.run(k - 1, net, job));
  try {
    boundChunks(net, job);
  } finally {
    await Promise.allSettled(waits);
    pool.release();
  }
  await Promise.all(waits);
  return { lower: new Float64Array(job.outLower), upper: new Float64Array(job.outUpper), rows };
}
