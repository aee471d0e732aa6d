// boundNetworkCpu over several threads: the boxes are split into contiguous ranges, one per
// thread (this one included), each bounded by the same synchronous code, so the results are the
// same bits as one call (a box's bounds never depend on the other boxes). Boxes and results
// travel in SharedArrayBuffers; a network is sent to each worker once and kept there.
import os from 'node:os';
import { NetThreadPool } from '../net-thread-pool.js';
import type { Network } from '../network.js';
import { UserError } from '../errors.js';
import { outputSize } from '../network.js';
import type { BoundOptions, BoundResult, Boxes, Spec } from './types.js';
import { boundNetworkCpu, checkSpec, type CpuBoundOptions } from './bound.js';
import { checkBoxes, planOf } from './plan.js';

/** Messages to a worker: a network to keep, or a range of boxes to bound. */
interface JobPayload {
  lower: Float64Array; upper: Float64Array; start: number; count: number; inSize: number;
  opts: BoundOptions & CpuBoundOptions; outLower: Float64Array; outUpper: Float64Array;
}
export type ToWorker = { kind: 'net'; id: number; net: Network } | ({ kind: 'job'; job: number; id: number } & JobPayload);
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

function specSlice(spec: Spec | undefined, start: number, count: number, m: number): Spec | undefined {
  if (!spec || spec.shared) return spec;
  const w = spec.rows * m;
  return { c: spec.c.slice(start * w, (start + count) * w), rows: spec.rows, shared: false };
}

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
  const inSize = planOf(net).inSize;
  const lower = sharedCopy(boxes.lower), upper = sharedCopy(boxes.upper);
  const outLower = new Float64Array(new SharedArrayBuffer(boxes.count * rows * 8));
  const outUpper = new Float64Array(new SharedArrayBuffer(boxes.count * rows * 8));
  const per = Math.ceil(boxes.count / parts);
  const waits: Promise<void>[] = [];
  for (let k = 1; k < parts; k++) {
    const start = k * per, count = Math.min(per, boxes.count - start);
    if (count <= 0) break;
    const job: JobPayload = { lower, upper, start, count, inSize, opts: { ...opts, spec: specSlice(opts.spec, start, count, m) }, outLower, outUpper };
    waits.push(pool.run(k - 1, net, job));
  }
  try {
    // this thread's share: the first range
    const mine = boundNetworkCpu(net, { lower: boxes.lower.subarray(0, per * inSize), upper: boxes.upper.subarray(0, per * inSize), count: per }, { ...opts, spec: specSlice(opts.spec, 0, per, m) });
    outLower.set(mine.lower);
    outUpper.set(mine.upper);
  } finally {
    await Promise.allSettled(waits);
    pool.release();
  }
  await Promise.all(waits);
  return { lower: new Float64Array(outLower), upper: new Float64Array(outUpper), rows };
}
