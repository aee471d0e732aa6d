// Work split between threads by claiming: each thread (the calling one included) takes the next
// chunk of [0, count) from a shared counter (Atomics.add on an Int32Array over a
// SharedArrayBuffer) until none is left, so none idles while another still has a long part. The
// threaded bounds (bounds/box-chunks.ts) and the threaded sweep attack (sweep/attack-threads.ts)
// both run their work this way.

/** Calls `run(start, size)` for each chunk this thread claims; returns how many it took. */
export function claimChunks(next: Int32Array, chunk: number, count: number, run: (start: number, size: number) => void): number {
  let taken = 0;
  for (;;) {
    const start = Atomics.add(next, 0, 1) * chunk;
    if (start >= count) return taken;
    run(start, Math.min(chunk, count - start));
    taken++;
  }
}
