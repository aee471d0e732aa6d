// One disjunct's branch and bound as the bab stage (../bab-stage.ts) runs it, in this thread or
// in a worker's (lanes.ts): the conjunction's rows, the leaf MILP of its domains where the
// network has one (leaf.ts), and the counterexample test, around generalBab (search.ts). A
// candidate counts when it reaches ANY disjunct of the region (replayed on the float64 forward
// pass, inside the box); the stage replays it once more before it reports it.
import type { Network } from '../../network.js';
import { outputSize } from '../../network.js';
import type { InputRegion } from '../../spec/property.js';
import { replay } from '../../attack/pgd.js';
import { generalBab, rowsOfConjunction, type BabFrontier, type BabResult, type BabRoot } from './search.js';
import { milpLeaf } from './leaf.js';
import { now } from '../../clock.js';

/** What one turn of a disjunct's search is given. */
export interface DisjunctTurn {
  /** now() value the turn stops by. */
  deadline: number;
  batch?: number;
  maxDomains?: number;
  /** Bytes of open domains the turn may hand back on a timeout. */
  keepBytes: number;
  /** Open domains an earlier turn of this disjunct handed back. */
  resume?: BabFrontier;
  /** Stop as on the deadline (another disjunct's search found a counterexample). */
  stop?: () => boolean;
}

export interface DisjunctEnd {
  res: BabResult;
  /** The counterexample, where res.status is 'counterexample'. */
  x?: Float64Array;
  /** Why the domains with nothing left to split have no leaf MILP (null: they have one). */
  noLeaf: string | null;
}

/** One turn of disjunct k of `region` from its root (search.ts rootOf: one CROWN pass per region, shared by its disjuncts). */
export async function searchDisjunct(net: Network, region: InputRegion, k: number, root: BabRoot, turn: DisjunctTurn): Promise<DisjunctEnd> {
  const rows = rowsOfConjunction(region.unsafe[k], outputSize(net));
  const leaf = milpLeaf(net, region.lower, region.upper, rows, root.bounds);
  let x: Float64Array | undefined;
  const candidate = (p: Float64Array) => {
    if (replay(net, region, p).disjunct < 0) return false;
    x = p;
    return true;
  };
  const res = await generalBab(net, region.lower, region.upper, rows, {
    deadline: turn.deadline, batch: turn.batch, maxDomains: turn.maxDomains, root, candidate, leaf: leaf.leaf ?? undefined,
    resume: turn.resume, keepBytes: turn.keepBytes, stop: turn.stop,
  });
  return { res, x: res.status === 'counterexample' ? x : undefined, noLeaf: leaf.leaf ? null : leaf.why };
}
