// The bab stage of the cascade (cascade.ts) on every open disjunct: bab/search.ts (β-CROWN
// with joint α,β on the engine's one backward pass, any network), its leaves decided by the MILP
// of the domain (bab/leaf.ts) where the MILP encodes the network. The attack's distance
// bisection (src/milp/bisect-distance.ts) asks it too.
import type { Network } from '../network.js';
import type { OpenSet } from './open-set.js';
import type { Counterexample } from './outcome.js';
import { replay } from '../attack/pgd.js';
import { localLane, workerLanes, type BabLane, type LaneContext } from './bab/lanes.js';
import { defaultThreads } from '../bounds/threads.js';
import type { LayerBounds } from '../bounds/types.js';
import { now } from '../clock.js';

export interface BabStageOptions {
  /** now() value to stop by. */
  deadline: number;
  /** The α stage's layer bounds per region (the search starts from them). */
  bounds?: (LayerBounds[] | undefined)[];
  /** The attack's best violation per region and disjunct: the closest ones go last. */
  incumbents?: ({ value: number } | undefined)[][];
  batch?: number;
  maxDomains?: number;
  /** Bytes of open domains kept between rounds, all disjuncts together (default 256 MiB). */
  keepBytes?: number;
  /** Disjuncts searched at once, each in a worker thread (default: every core; 1: one after another in this thread). */
  threads?: number;
  /** Where the turns run instead (tests: lanes that answer as scripted). */
  lanes?: (ctx: LaneContext) => BabLane[];
  log: (line: string) => void;
}

export interface BabStageResult {
  closed: number;
  counterexample: Counterexample | null;
  domains: number;
  timeS: number;
}

/**
 * The bab stage: every open disjunct of every region, each with an equal share of the time
 * left (what one does not use rolls over), `lanes` of them at once (lanes.ts: worker threads,
 * one per core, where there are at least two disjuncts and seconds to spend). A disjunct whose
 * search runs out of time keeps its open domains (within keepBytes), and once every disjunct
 * has had its turn, the time still left goes round again to those, each going on where it
 * stopped, on the lane that keeps its domains: a disjunct that needs more than an equal share is
 * not starved by its turn coming early (mnist_fc 256x4 prop_12 at ε 0.05: eight disjuncts proved
 * in 5–10 s each, the ninth stopped at margin −0.09 after its 15 s share and the stage's
 * remaining 27 s went unused). With L lanes a turn's share is L times one lane's, so each
 * disjunct gets about L times the time of one search after another. A proof closes the disjunct
 * in `open`; a counterexample is returned only after replaying on the network (in the box, in the
 * unsafe set), and stops the other lanes' searches at their next batch.
 */
export async function babStage(net: Network, open: OpenSet, opts: BabStageOptions): Promise<BabStageResult> {
  const t0 = performance.now();
  let closed = 0, domains = 0;
  let found: Counterexample | null = null;
  const finish = (): BabStageResult => ({ closed, counterexample: found, domains, timeS: (performance.now() - t0) / 1000 });
  const regions = open.prop.regions;
  // one per open disjunct; lane: where its open domains are kept between turns
  interface Job { r: number; k: number; frontier?: { ref: number; bytes: number; domains: number; lane: number } }
  const jobs: Job[] = [];
  regions.forEach((reg, r) => {
    // disjuncts the attack came closest to are the least likely to be proved: last
    const closeness = (k: number) => opts.incumbents?.[r]?.[k]?.value ?? Infinity;
    reg.unsafe.map((_, k) => k).filter((k) => open.open[r][k]).sort((p, q) => closeness(q) - closeness(p)).forEach((k) => jobs.push({ r, k }));
  });
  const isOpen = (job: Job) => open.open[job.r][job.k];
  const stop = new Int32Array(new SharedArrayBuffer(4));
  const ctx: LaneContext = { net, regions, bounds: opts.bounds, batch: opts.batch, maxDomains: opts.maxDomains, stop };
  const L = Math.min(Math.max(1, opts.threads ?? defaultThreads()), jobs.length);
  const lanes = opts.lanes?.(ctx) ?? (L > 1 && opts.deadline - now() >= MIN_LANES_MS ? workerLanes(ctx, L) : [localLane(ctx)]);
  const budget = (opts.keepBytes ?? 256 * 1024 * 1024) / lanes.length;
  const kept = lanes.map(() => 0);
  let noLeaf = '';
  const runTurn = async (lane: number, job: Job, deadline: number, round = 0): Promise<void> => {
    const { r, k } = job;
    const resume = job.frontier;
    if (resume) { job.frontier = undefined; kept[lane] -= resume.bytes; }
    const end = await lanes[lane].turn({ r, k, deadline, keepBytes: budget - kept[lane], resume: resume?.ref });
    const res = end.res;
    domains += res.domains;
    if (end.noLeaf && !noLeaf) { noLeaf = end.noLeaf; opts.log(`bab: no leaf MILP (${noLeaf}): domains with nothing left to split stay open`); }
    if (end.frontier) { job.frontier = { ...end.frontier, lane }; kept[lane] += end.frontier.bytes; }
    const rate = res.timeS > 0 ? Math.round(res.domains / res.timeS) : 0;
    opts.log(`bab: region ${r} disjunct ${k}${resume ? ` (round ${round + 1}, ${resume.domains} open domains resumed)` : ''}: ${res.status}${res.why ? ` (${res.why})` : ''} (${res.domains} domains, ${rate}/s, depth ${res.maxDepth}, margin ${res.rootMargin.toPrecision(3)} at the root, ${res.margin.toPrecision(3)} at the end${res.lps ? `, ${res.lps} leaf MILPs` : ''}, ${res.timeS.toFixed(1)}s)`);
    if (res.status === 'counterexample' && end.x && !found) {
      const again = replay(net, regions[r], end.x);
      if (again.disjunct >= 0) { found = { x: end.x, y: again.y }; Atomics.store(stop, 0, 1); }
    }
    if (res.status === 'proved' && isOpen(job)) {
      open.open[r][k] = false;
      closed++;
    }
  };
  try {
    // the first round: each lane takes the next disjunct, with L shares of the time left over the turns still to come
    const queue = jobs.slice();
    await Promise.all(lanes.map(async (_, lane) => {
      for (let job = queue.shift(); job && !found; job = queue.shift()) {
        const left = opts.deadline - now();
        if (left <= 20) return;
        if (!isOpen(job)) continue;
        await runTurn(lane, job, now() + Math.min(left, (left * lanes.length) / (queue.length + lanes.length)));
      }
    }));
    // later rounds: each lane goes round the disjuncts whose open domains it keeps
    for (let round = 1; ; round++) {
      const again = jobs.filter((job) => job.frontier && isOpen(job));
      if (found || !again.length || opts.deadline - now() <= 20) break;
      // whose domains each lane keeps, read before any turn starts (a turn takes its job's frontier)
      const held = lanes.map((_, lane) => again.filter((job) => job.frontier!.lane === lane));
      await Promise.all(held.map(async (mine, lane) => {
        for (let t = 0; t < mine.length && !found; t++) {
          const left = opts.deadline - now();
          if (left <= 20) return;
          await runTurn(lane, mine[t], now() + left / (mine.length - t), round);
        }
      }));
    }
  } finally {
    await Promise.all(lanes.map((l) => l.close()));
  }
  return finish();
}

/** Worker lanes only where the stage has at least this long: a worker's first turn loads the engine (a fraction of a second). */
const MIN_LANES_MS = 3000;
