// The bab stage of the cascade (cascade.ts) on every open disjunct: bab/search.ts (β-CROWN
// with joint α,β on the engine's one backward pass, any network), its leaves decided by the MILP
// of the domain (bab/leaf.ts) where the MILP encodes the network. The attack's distance
// bisection (src/milp/bisect-distance.ts) asks it too.
import type { Network } from '../network.js';
import type { OpenSet } from './open-set.js';
import type { Counterexample } from './outcome.js';
import { replay } from '../attack/pgd.js';
import { generalBab, rootOf, rowsOfConjunction, type BabFrontier, type BabRoot, type BabRowSpec } from './bab/search.js';
import { milpLeaf, type LeafSolver } from './bab/leaf.js';
import type { LayerBounds } from '../bounds/types.js';

export interface BabStageOptions {
  /** Date.now() value to stop by. */
  deadline: number;
  /** The α stage's layer bounds per region (the search starts from them). */
  bounds?: (LayerBounds[] | undefined)[];
  /** The attack's best violation per region and disjunct: the closest ones go last. */
  incumbents?: ({ value: number } | undefined)[][];
  batch?: number;
  maxDomains?: number;
  /** Bytes of open domains kept between rounds, all disjuncts together (default 256 MiB). */
  keepBytes?: number;
  log: (line: string) => void;
}

export interface BabStageResult {
  closed: number;
  counterexample: Counterexample | null;
  domains: number;
  timeS: number;
}

/**
 * The bab stage: every open disjunct of every region, one at a time, each with an equal
 * share of the time left (what one does not use rolls over). A disjunct whose search runs out
 * of time keeps its open domains (within keepBytes), and once every disjunct has had its turn,
 * the time still left goes round again to those, each going on where it stopped: a disjunct
 * that needs more than an equal share is not starved by its turn coming early (mnist_fc 256x4
 * prop_12 at ε 0.05: eight disjuncts proved in 5–10 s each, the ninth stopped at margin −0.09
 * after its 15 s share and the stage's remaining 27 s went unused). A proof closes the
 * disjunct in `open`; a counterexample is returned only after replaying on the network (in the
 * box, in the unsafe set).
 */
export async function babStage(net: Network, open: OpenSet, opts: BabStageOptions): Promise<BabStageResult> {
  const t0 = performance.now();
  let closed = 0, domains = 0;
  const finish = (counterexample: Counterexample | null = null): BabStageResult => ({ closed, counterexample, domains, timeS: (performance.now() - t0) / 1000 });
  const regions = open.prop.regions;
  const m = open.prop.numOutputs;
  // one per open disjunct; what its search needs is made on its first turn, its open domains kept between turns
  interface Job { r: number; k: number; search?: { rows: BabRowSpec[]; leaf: LeafSolver | undefined; candidate: (x: Float64Array) => boolean; found: () => Float64Array | undefined }; frontier?: BabFrontier }
  const jobs: Job[] = [];
  regions.forEach((reg, r) => {
    // disjuncts the attack came closest to are the least likely to be proved: last
    const closeness = (k: number) => opts.incumbents?.[r]?.[k]?.value ?? Infinity;
    reg.unsafe.map((_, k) => k).filter((k) => open.open[r][k]).sort((p, q) => closeness(q) - closeness(p)).forEach((k) => jobs.push({ r, k }));
  });
  const rootAt = new Map<number, BabRoot>();
  const budget = opts.keepBytes ?? 256 * 1024 * 1024;
  let keptBytes = 0;
  let noLeaf = '';
  const searchOf = (job: Job): NonNullable<Job['search']> => {
    if (job.search) return job.search;
    const region = regions[job.r];
    let cex: Float64Array | undefined;
    // the whole region's unsafe set: any disjunct reached is a counterexample
    const candidate = (x: Float64Array) => {
      if (replay(net, region, x).disjunct < 0) return false;
      cex = x;
      return true;
    };
    const rows = rowsOfConjunction(region.unsafe[job.k], m);
    let root = rootAt.get(job.r);
    if (!root) { root = rootOf(net, region.lower, region.upper, opts.bounds?.[job.r]); rootAt.set(job.r, root); }
    const leaf = milpLeaf(net, region.lower, region.upper, rows, root.bounds);
    if (!leaf.leaf && !noLeaf) { noLeaf = leaf.why; opts.log(`bab: no leaf MILP (${leaf.why}): domains with nothing left to split stay open`); }
    job.search = { rows, leaf: leaf.leaf ?? undefined, candidate, found: () => cex };
    return job.search;
  };
  let turn = jobs;
  for (let round = 0; turn.length; round++) {
    for (let t = 0; t < turn.length; t++) {
      const left = opts.deadline - Date.now();
      if (left <= 20) return finish();
      const job = turn[t];
      const { r, k } = job;
      if (!open.open[r][k]) continue;
      const region = regions[r];
      const { rows, leaf, candidate, found } = searchOf(job);
      const resume = job.frontier;
      if (resume) { job.frontier = undefined; keptBytes -= resume.bytes; }
      const res = await generalBab(net, region.lower, region.upper, rows, {
        deadline: Date.now() + left / (turn.length - t), batch: opts.batch, maxDomains: opts.maxDomains, root: rootAt.get(r), candidate, leaf, resume, keepBytes: budget - keptBytes,
      });
      domains += res.domains;
      if (res.frontier) { job.frontier = res.frontier; keptBytes += res.frontier.bytes; }
      const rate = res.timeS > 0 ? Math.round(res.domains / res.timeS) : 0;
      opts.log(`bab: region ${r} disjunct ${k}${resume ? ` (round ${round + 1}, ${resume.domains} open domains resumed)` : ''}: ${res.status}${res.why ? ` (${res.why})` : ''} (${res.domains} domains, ${rate}/s, depth ${res.maxDepth}, margin ${res.rootMargin.toPrecision(3)} at the root, ${res.margin.toPrecision(3)} at the end${res.lps ? `, ${res.lps} leaf MILPs` : ''}, ${res.timeS.toFixed(1)}s)`);
      const cex = found();
      if (res.status === 'counterexample' && cex) {
        const again = replay(net, region, cex);
        if (again.disjunct >= 0) return finish({ x: cex, y: again.y });
      }
      if (res.status === 'proved') {
        open.open[r][k] = false;
        closed++;
      }
    }
    turn = turn.filter((job) => job.frontier);
  }
  return finish();
}
