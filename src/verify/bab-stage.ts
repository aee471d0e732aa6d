// The bab stage of the cascade (cascade.ts) on every open disjunct: bab/search.ts (β-CROWN
// with joint α,β on the engine's one backward pass, any network), its leaves decided by the MILP
// of the domain (bab/leaf.ts) where the MILP encodes the network. The attack's distance
// bisection (src/milp/bisect-distance.ts) asks it too.
import type { Network } from '../network.js';
import type { OpenSet } from './open-set.js';
import type { Counterexample } from './outcome.js';
import { replay } from '../attack/pgd.js';
import { generalBab, rootOf, type BabFrontier, type BabRoot } from './bab/search.js';
import { milpLeaf } from './bab/leaf.js';
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
  const regions = open.prop.regions;
  const jobs: { r: number; k: number }[] = [];
  regions.forEach((reg, r) => {
    // disjuncts the attack came closest to are the least likely to be proved: last
    const closeness = (k: number) => opts.incumbents?.[r]?.[k]?.value ?? Infinity;
    reg.unsafe.map((_, k) => k).filter((k) => open.open[r][k]).sort((p, q) => closeness(q) - closeness(p)).forEach((k) => jobs.push({ r, k }));
  });
  const rootAt = new Map<number, BabRoot>();
  const kept = new Map<number, BabFrontier>();
  const budget = opts.keepBytes ?? 256 * 1024 * 1024;
  let keptBytes = 0;
  let noLeaf = '';
  let turn = jobs.map((_, q) => q);
  for (let round = 0; turn.length; round++) {
    const again: number[] = [];
    for (let t = 0; t < turn.length; t++) {
      const left = opts.deadline - Date.now();
      if (left <= 20) return { closed, counterexample: null, domains, timeS: (performance.now() - t0) / 1000 };
      const q = turn[t];
      const { r, k } = jobs[q];
      if (!open.open[r][k]) continue;
      const region = regions[r];
      const conj = region.unsafe[k];
      const m = open.prop.numOutputs;
      let cex: Float64Array | undefined;
      const candidate = (x: Float64Array) => {
        // the whole region's unsafe set: any disjunct reached is a counterexample
        if (replay(net, region, x).disjunct < 0) return false;
        cex = x;
        return true;
      };
      const deadline = Date.now() + left / (turn.length - t);
      const rows = Array.from({ length: conj.rows }, (_, i) => ({ a: conj.a.slice(i * m, (i + 1) * m), b: conj.b[i] }));
      let root = rootAt.get(r);
      if (!root) { root = rootOf(net, region.lower, region.upper, opts.bounds?.[r]); rootAt.set(r, root); }
      const leaf = milpLeaf(net, region.lower, region.upper, rows, root.bounds);
      if (!leaf.leaf && !noLeaf) { noLeaf = leaf.why; opts.log(`bab: no leaf MILP (${leaf.why}): domains with nothing left to split stay open`); }
      const resume = kept.get(q);
      if (resume) { kept.delete(q); keptBytes -= resume.bytes; }
      const res = await generalBab(net, region.lower, region.upper, rows, {
        deadline, batch: opts.batch, maxDomains: opts.maxDomains, root, candidate, leaf: leaf.leaf ?? undefined, resume, keepBytes: budget - keptBytes,
      });
      domains += res.domains;
      if (res.frontier) { kept.set(q, res.frontier); keptBytes += res.frontier.bytes; again.push(q); }
      const rate = res.timeS > 0 ? Math.round(res.domains / res.timeS) : 0;
      opts.log(`bab: region ${r} disjunct ${k}${resume ? ` (round ${round + 1}, ${resume.domains} open domains resumed)` : ''}: ${res.status}${res.why ? ` (${res.why})` : ''} (${res.domains} domains, ${rate}/s, depth ${res.maxDepth}, margin ${res.rootMargin.toPrecision(3)} at the root, ${res.margin.toPrecision(3)} at the end${res.lps ? `, ${res.lps} leaf MILPs` : ''}, ${res.timeS.toFixed(1)}s)`);
      if (res.status === 'counterexample' && cex) {
        const again2 = replay(net, region, cex);
        if (again2.disjunct >= 0) return { closed, counterexample: { x: cex, y: again2.y }, domains, timeS: (performance.now() - t0) / 1000 };
      }
      if (res.status === 'proved') {
        open.open[r][k] = false;
        closed++;
      }
    }
    turn = again;
  }
  return { closed, counterexample: null, domains, timeS: (performance.now() - t0) / 1000 };
}
