// The boxes of one threaded bound call (threads.ts), taken a chunk at a time by whichever thread
// is free: every thread (the calling one included) runs boundChunks on the same job, claiming the
// next chunk from a shared counter (Atomics.add) until none is left, and writes its chunks'
// results into the shared output arrays. So both cores stay busy until the last chunk, however
// unevenly the boxes cost (CROWN on a wide ball costs several times a narrow one). A box's bounds
// never depend on the other boxes, so the results are the same bits whoever bounds which chunk.
import type { Network } from '../network.js';
import { outputSize } from '../network.js';
import type { BoundOptions, Spec } from './types.js';
import { boundNetworkCpu, type CpuBoundOptions } from './bound.js';
import { claimChunks } from '../claim-chunks.js';

/** What every thread of one call gets (all arrays on SharedArrayBuffers). */
export interface ChunkJob {
  lower: Float64Array; upper: Float64Array; inSize: number; count: number;
  /** Boxes per chunk, and the shared counter of chunks claimed (one Int32). */
  chunk: number; next: Int32Array;
  opts: BoundOptions & CpuBoundOptions;
  outLower: Float64Array; outUpper: Float64Array;
}

function specSlice(spec: Spec | undefined, start: number, count: number, m: number): Spec | undefined {
  if (!spec || spec.shared) return spec;
  const w = spec.rows * m;
  return { c: spec.c.slice(start * w, (start + count) * w), rows: spec.rows, shared: false };
}

/** Bounds chunks of the job until none is left; returns how many this thread took. */
export function boundChunks(net: Network, job: ChunkJob): number {
  const { inSize: n } = job;
  const m = outputSize(net);
  return claimChunks(job.next, job.chunk, job.count, (start, c) => {
    const boxes = { lower: job.lower.subarray(start * n, (start + c) * n), upper: job.upper.subarray(start * n, (start + c) * n), count: c };
    const r = boundNetworkCpu(net, boxes, { ...job.opts, spec: specSlice(job.opts.spec, start, c, m) });
    job.outLower.set(r.lower, start * r.rows);
    job.outUpper.set(r.upper, start * r.rows);
  });
}
