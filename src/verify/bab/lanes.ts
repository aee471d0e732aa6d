// Where the bab stage's disjunct searches run: one lane in this thread, or one worker thread
// per lane (worker.ts), so that a stage with several open disjuncts uses every core. A search is
// synchronous CPU work that never gives the event loop a turn, so with several lanes every lane
// is a worker and this thread only hands out turns (a search in this thread would hold back the
// workers' replies until it ended). A search that runs out of time leaves its open domains with
// the lane that ran it (a frontier, named here by `ref`): its next turn goes to that lane.
// Each lane runs exactly searchDisjunct (disjunct.ts), so what a turn can answer does not depend on
// where it runs; only how many disjuncts run at once does.
import type { Network } from '../../network.js';
import type { InputRegion } from '../../spec/property.js';
import type { LayerBounds } from '../../bounds/types.js';
import { NetThreadPool } from '../../net-thread-pool.js';
import { rootOf, type BabFrontier, type BabResult, type BabRoot } from './search.js';
import { searchDisjunct } from './disjunct.js';

/**
 * The young generation of a search's worker, MB. A search allocates its pass's arrays afresh on
 * every step, and with V8's default (a few tens of MB) it spends about a quarter of its CPU time
 * in the collector, half of it on helper threads that take the core another lane would use:
 * mnist_fc 256x4 prop_14 (2021) after refine, the same 6,641 domains in 21.0 s wall and 30.7 s of
 * CPU by default, 18.5 s and 24.7 s with 256 MB (in a worker, one lane).
 */
export const SEARCH_YOUNG_MB = 256;

/** A turn's end as a lane reports it: a kept frontier only by its reference, size and open domains. */
export interface LaneEnd {
  res: Omit<BabResult, 'frontier'>;
  x?: Float64Array;
  noLeaf: string | null;
  frontier?: { ref: number; bytes: number; domains: number };
}

export interface LaneTurn {
  r: number;
  k: number;
  deadline: number;
  keepBytes: number;
  /** A frontier this lane handed back earlier. */
  resume?: number;
}

export interface BabLane {
  turn(t: LaneTurn): Promise<LaneEnd>;
  /** Drops what the lane keeps for this stage call. */
  close(): Promise<void>;
}

/** What every lane of one stage call shares. */
export interface LaneContext {
  net: Network;
  regions: readonly InputRegion[];
  bounds?: readonly (LayerBounds[] | undefined)[];
  batch?: number;
  maxDomains?: number;
  /** Element 0 set to 1: every search stops at its next batch. */
  stop: Int32Array;
}

/** Keeps one stage call's roots (one per region) and the frontiers its turns hand back (in this thread, or in a worker). */
export class LaneState {
  private readonly roots = new Map<number, BabRoot>();
  private readonly frontiers = new Map<number, BabFrontier>();
  private nextRef = 1;

  constructor(private readonly net: Network) {}

  async turn(t: LaneTurn, region: InputRegion, bounds: LayerBounds[] | undefined, opts: { batch?: number; maxDomains?: number; stop: Int32Array }): Promise<LaneEnd> {
    let resume: BabFrontier | undefined;
    if (t.resume !== undefined) {
      resume = this.frontiers.get(t.resume);
      this.frontiers.delete(t.resume);
      if (!resume) throw new Error(`bab lane: frontier ${t.resume} is not kept here`);
    }
    let root = this.roots.get(t.r);
    if (!root) this.roots.set(t.r, (root = rootOf(this.net, region.lower, region.upper, bounds)));
    const { res, x, noLeaf } = await searchDisjunct(this.net, region, t.k, root, {
      deadline: t.deadline, batch: opts.batch, maxDomains: opts.maxDomains, keepBytes: t.keepBytes, resume,
      stop: () => Atomics.load(opts.stop, 0) !== 0,
    });
    const { frontier, ...rest } = res;
    if (!frontier) return { res: rest, x, noLeaf };
    const ref = this.nextRef++;
    this.frontiers.set(ref, frontier);
    return { res: rest, x, noLeaf, frontier: { ref, bytes: frontier.bytes, domains: frontier.domains } };
  }
}

/** The one lane of a stage in this thread. */
export function localLane(ctx: LaneContext): BabLane {
  const state = new LaneState(ctx.net);
  return {
    turn: (t) => state.turn(t, ctx.regions[t.r], ctx.bounds?.[t.r], ctx),
    close: async () => {},
  };
}

/** Messages to a bab worker (besides the pool's network message): a turn, or the end of a stage call. */
export type BabJob = { op: 'turn'; call: number; turn: LaneTurn; region: InputRegion; bounds?: LayerBounds[]; batch?: number; maxDomains?: number; stop: Int32Array } | { op: 'end'; call: number };
export type BabReply = { job: number; end?: LaneEnd; error?: string };

const pool = new NetThreadPool<BabReply, BabReply>(new URL('./worker.js', import.meta.url), (m) => (m.error ? new Error(m.error) : m), { resourceLimits: { maxYoungGenerationSizeMb: SEARCH_YOUNG_MB } });
let nextCall = 1;

/** `count` lanes on the pool's workers (0 … count − 1), for one stage call. */
export function workerLanes(ctx: LaneContext, count: number): BabLane[] {
  const call = nextCall++;
  const send = (i: number, job: BabJob) => pool.run(i, ctx.net, job);
  return Array.from({ length: count }, (_, i): BabLane => ({
    turn: async (t) => {
      const reply = await send(i, { op: 'turn', call, turn: t, region: ctx.regions[t.r], bounds: ctx.bounds?.[t.r], batch: ctx.batch, maxDomains: ctx.maxDomains, stop: ctx.stop });
      return reply.end!;
    },
    close: async () => {
      await send(i, { op: 'end', call });
      pool.release();
    },
  }));
}

/** Turns handed to bab workers so far in this process (tests check the workers were used). */
export function babWorkerJobs(): number {
  return pool.jobsSent;
}
