// Branch and bound over ReLU splits, sigmoid input cuts and MaxPool input orders for one conjunction of rows
// a_j·y ≤ b_j over an input box, on ANY network of the network form
// (src/bounds/optimise/domains.ts bounds its domains: β-CROWN with joint α,β per batch on the
// engine's one backward pass). Domains with the lowest margin are split in batches on the
// neuron the BaBSR score (for a sigmoid, its relaxation gap at the cut) of their closest-to-proved row
// picks; on networks with sigmoid cuts or MaxPool orders, filtered smart branching: the top
// candidates' children get one cheap bound each and the candidate whose worse child is best is
// split (defaultFilter says why only there); children inherit their parent's α and β
// and (with `refresh`) its layer bounds, and bound the layers above their new split again.
// A child's row bounds are at least its parent's (its domain lies inside the parent's): without that,
// a child bounded from its parent's last α, β (not its best) could fall below it, and best-first
// search went back to such children (mnist_fc 256x4 prop_7 at ε 0.05, 30 s per disjunct from
// α-CROWN's bounds: the lowest open margin −0.35…−1.17 with it, −0.70…−2.65 without). The two children of a split cover the
// parent's subdomain (z ≤ p or z ≥ p, p = 0 for a ReLU; x_i ≥ x_k or x_k ≥ x_i for a MaxPool), so the conjunction is unreachable once every leaf has
// a row whose bound exceeds its b_j. A domain with nothing left to split that is not proved
// goes to the leaf solver (leaf.ts: the MILP of the domain); one it cannot decide stops the
// search ('stuck').
// A search that runs out of time hands back its open domains (BabFrontier) where they fit in
// `keepBytes`; a later call with `resume` goes on from them instead of the root: the same
// search as if it had never stopped (the domains, their α, β and splits are exactly what the
// heap held; only the corner dedup set starts empty, which costs repeated forward passes, not
// soundness: every domain still covers its part of the box, and the leaves together the box).
// Counterexamples are never inferred from bounds: the box corner minimising a domain's row is
// a candidate, screened on the float64 forward pass and confirmed by `opts.candidate`.
import type { Network } from '../../network.js';
import { outputSize } from '../../network.js';
import { forward } from '../../forward.js';
import { planOf } from '../../bounds/plan.js';
import { blockRowsOf, crownChunk } from '../../bounds/crown.js';
import { boundDomains, type DomainParams, type Split } from '../../bounds/optimise/domains.js';
import type { LayerBounds } from '../../bounds/types.js';
import type { Conjunction } from '../../spec/property.js';
import { Heap } from './heap.js';
import { cornerKey, screenCandidates } from './candidates.js';
import type { LeafSolver } from './leaf.js';
import { now } from '../../clock.js';

export type BabStatus = 'proved' | 'counterexample' | 'timeout' | 'limit' | 'stuck';

export interface BabResult {
  /** proved: every leaf has a row bounded above its b. stuck: a domain cannot be split further
   *  and neither its bound nor the leaf solver decides it. */
  status: BabStatus;
  x?: Float64Array;
  /** Domains bounded (the root included). */
  domains: number;
  /** Most splits on one domain. */
  maxDepth: number;
  /** Lowest margin max_j (bound_j − b_j) over the open domains at the end (> 0 when proved). */
  margin: number;
  /** The root domain's margin (no splits). */
  rootMargin: number;
  /** Domains decided by the leaf solver. */
  lps: number;
  /** Why the search is stuck, when it is. */
  why?: string;
  timeS: number;
  /** On 'timeout', the open domains to resume from (when they fit in keepBytes). */
  frontier?: BabFrontier;
}

/** The open domains of a search that ran out of time (held here, lowest margin first; one resume takes them). */
export class BabFrontier {
  constructor(readonly domains: number, readonly maxDepth: number, readonly rootMargin: number, readonly bytes: number) {}
}
const frontierHeaps = new WeakMap<BabFrontier, { heap: Heap<Domain>; leaves: Domain[] }>();

export interface BabRowSpec {
  a: Float64Array;
  b: number;
}

/** A conjunction's rows a_r·y ≤ b_r (`m` outputs) as the search takes them. */
export function rowsOfConjunction(conj: Conjunction, m: number): BabRowSpec[] {
  return Array.from({ length: conj.rows }, (_, i) => ({ a: conj.a.slice(i * m, (i + 1) * m), b: conj.b[i] }));
}

export interface BabOptions {
  deadline: number;
  /** Domains split per step (2× as many children are bounded at once). Default 32. */
  batch?: number;
  maxDomains?: number;
  /** Joint α,β Adam steps per batch, at least (default 8), and at most while they still pay
   *  (default 24; domains.ts stepsEnough); a batch whose domains are all proved stops earlier. */
  iterations?: number;
  maxIterations?: number;
  /** Filtered smart branching: the BaBSR candidates per domain whose children get one cheap
   *  bound (no optimisation) before the one with the best worse child is split. 1: BaBSR alone.
   *  Default defaultFilter(net). */
  filter?: number;
  lr?: number;
  /** Layer bounds of the box to start from (e.g. the α stage's); default CROWN's. */
  bounds?: LayerBounds[];
  /** The root's state and bounds from an earlier call on the same box (rootOf): saves a CROWN pass. */
  root?: BabRoot;
  candidate?: (x: Float64Array) => boolean;
  candidatesPerStep?: number;
  /** Decides domains with nothing left to split (leaf.ts); without one they stop the search. */
  leaf?: LeafSolver;
  /** Stop as on the deadline once this says so (checked before each batch: another search found a counterexample). */
  stop?: () => boolean;
  /** Stop as on the deadline after this many batches of splits (a budget that does not depend on the machine's speed). */
  maxSteps?: number;
  /** Go on from these open domains of an earlier call on the same rows, box and root (not the root's). */
  resume?: BabFrontier;
  /** On timeout, hand back the open domains when their parameters take at most this many bytes (default 0: never). */
  keepBytes?: number;
  /** Bound the layers above each child's splits again on the child (domain-layers.ts refresh). Default true. */
  refresh?: boolean;
}

interface Domain {
  splits: Split[];
  margin: number;
  /** Branching candidates, best score first (empty: nothing left to split); point: a sigmoid's cut; pair: a MaxPool's two inputs. */
  branches: { layer: number; neuron: number; point?: number; pair?: readonly [number, number] }[];
  params: DomainParams;
  /** Its rows' best lower bounds (J): each holds on its children too (their domains are inside it). */
  lb: Float64Array;
}

export type BabRoot = ReturnType<typeof crownChunk>;

/**
 * Candidates per domain that filtered smart branching looks ahead on: 3 where some split is a
 * sigmoid cut or a MaxPool order, 1 (BaBSR alone) where every split is a ReLU's. Measured from the
 * same roots (α-CROWN's bounds, or refine's on mnist_fc), FSB's look-ahead (2 × 3 unoptimised
 * children per parent) roughly doubles the cost of a domain and, on ReLU nets, does not buy
 * fewer domains: mnist_fc 256x4 prop_12 at ε 0.05 (classes 3, 5, 6 after refine) 58.7 s and
 * 9,113 domains with it, 21.6 s and 4,131 without; 2021 256x4 prop_14 at ε 0.03 (classes 4, 6)
 * 44.7 s against 32.9 s; mnist-mlp open sweep pairs 1.1–2× faster without; the verivital
 * avgpool CNN's two open disjuncts (prop_12 and prop_7 at ε 0.04, 60 s each from α-CROWN) end at
 * −0.314 and −0.246 without it, −0.321 and −0.260 with it. On the ERAN sigmoid
 * net (6 × 200) the look-ahead keeps its place: in the same seconds, the disjuncts closest to a
 * proof end nearer to it (−0.05 against −0.43, −0.19 against −0.48), where BaBSR's score is only
 * the relaxation's gap at the cut. MaxPool orders keep it too (not measured without).
 */
export function defaultFilter(net: Network): number {
  return net.layers.some((l) => l.op.kind === 'sigmoid' || l.op.kind === 'maxpool2d') ? 3 : 1;
}

/** The box's layer bounds and relaxations (CROWN ∩ `given` where given: re-relaxed from them). */
export function rootOf(net: Network, lower: Float64Array, upper: Float64Array, given?: LayerBounds[]): BabRoot {
  const plan = planOf(net);
  return crownChunk(plan, { lower, upper }, 1, blockRowsOf(plan.maxWidth), false, given ? (_st, i, b) => {
    const g = given[i];
    for (let k = 0; k < b.lower.length; k++) { b.lower[k] = Math.max(b.lower[k], g.lower[k]); b.upper[k] = Math.min(b.upper[k], g.upper[k]); }
  } : undefined);
}

export async function generalBab(net: Network, lower: Float64Array, upper: Float64Array, rows: BabRowSpec[], opts: BabOptions): Promise<BabResult> {
  const t0 = performance.now();
  const plan = planOf(net);
  const m = outputSize(net), J = rows.length, n0 = plan.inSize;
  const { state, bounds } = opts.root ?? rootOf(net, lower, upper, opts.bounds);
  const c = new Float64Array(J * m);
  rows.forEach((r, j) => c.set(r.a, j * m));
  const batch = Math.max(1, opts.batch ?? 32), maxDomains = opts.maxDomains ?? 200_000, perStep = opts.candidatesPerStep ?? 32;
  const iterations = opts.iterations ?? 8, maxIterations = opts.maxIterations ?? 24, lr = opts.lr ?? 0.2;
  const target = Float64Array.from(rows, (r) => r.b);
  const tried = new Set<string>();
  let domainsBounded = 0, maxDepth = 0, rootMargin = -Infinity, lps = 0;
  const result = (status: BabStatus, margin: number, x?: Float64Array, why?: string): BabResult =>
    ({ status, x, domains: domainsBounded, maxDepth, margin, rootMargin, lps, why, timeS: (performance.now() - t0) / 1000 });
  // a timeout hands back the open domains where they fit
  // (leaves: fully split domains whose leaf solver ran out of time, asked again on resuming)
  const timedOut = (heap: Heap<Domain>, leaves: Domain[] = []): BabResult => {
    let margin = heap.peek()?.margin ?? Infinity;
    for (const d of leaves) margin = Math.min(margin, d.margin);
    const out = result('timeout', margin);
    const any = heap.peek() ?? leaves[0];
    const bytes = (heap.size + leaves.length) * domainBytes(any);
    if (!(bytes <= (opts.keepBytes ?? 0))) return out;
    const frontier = new BabFrontier(heap.size + leaves.length, maxDepth, rootMargin, bytes);
    frontierHeaps.set(frontier, { heap, leaves });
    return { ...out, frontier };
  };
  // fully split domains in order: each proved, or the search ends (resumably on a timeout)
  const leafAll = async (heap: Heap<Domain>, leaves: Domain[]): Promise<BabResult | null> => {
    for (let i = 0; i < leaves.length; i++) {
      const v = await leaf(leaves[i]);
      if (v.end === 'proved') continue;
      if (v.end === 'timeout') return timedOut(heap, leaves.slice(i));
      heap.push(leaves[i]);
      return ended(v, heap.peek()!.margin);
    }
    return null;
  };
  // a domain with nothing left to split: the leaf solver decides it, else the search is stuck
  type LeafEnd = { end: 'proved' } | { end: 'counterexample'; x: Float64Array } | { end: 'timeout' } | { end: 'stuck'; why: string };
  const leaf = async (d: Domain): Promise<LeafEnd> => {
    if (!opts.leaf) return { end: 'stuck', why: 'a domain has nothing left to split (no leaf solver)' };
    lps++;
    const v = await opts.leaf(d.splits, opts.deadline);
    if (v.status === 'point') return opts.candidate?.(v.x) ? { end: 'counterexample', x: v.x } : { end: 'stuck', why: 'the leaf point does not replay' };
    return v.status === 'stuck' ? { end: 'stuck', why: v.why } : { end: v.status };
  };
  const ended = (v: Exclude<LeafEnd, { end: 'proved' }>, margin: number): BabResult =>
    v.end === 'counterexample' ? result('counterexample', -Infinity, v.x) : v.end === 'timeout' ? result('timeout', margin) : result('stuck', margin, undefined, v.why);

  const K = Math.max(1, opts.filter ?? defaultFilter(net));
  const marginOf = (lb: Float64Array, d: number): [number, number] => {
    let margin = -Infinity, jm = 0;
    for (let j = 0; j < J; j++) {
      const v = lb[d * J + j] - rows[j].b;
      if (v > margin) { margin = v; jm = j; } // a NaN bound never proves anything
    }
    return [margin, jm];
  };
  const evaluate = (splits: Split[][], init: (DomainParams | undefined)[], parents: (Float64Array | undefined)[]): { doms: Domain[]; cex?: Float64Array } => {
    const res = boundDomains(state, c, J, splits, init, { iterations, maxIterations, target, lr, bounds, input: { lower, upper }, topK: K, refresh: opts.refresh ?? true });
    domainsBounded += splits.length;
    // a parent's bound holds on its child: keep the better of the two per row
    parents.forEach((lb, d) => { if (lb) for (let j = 0; j < J; j++) res.lb[d * J + j] = Math.max(res.lb[d * J + j], lb[j]); });
    const doms = splits.map((s, d): Domain => {
      const [margin, jm] = marginOf(res.lb, d);
      // the candidates of the closest-to-proved row; else of any row that has some
      let r = d * J + jm;
      for (let j = 0; j < J && res.branchLayer[r * K] < 0; j++) r = d * J + j;
      const branches: Domain['branches'] = [];
      for (let k = 0; k < K; k++) {
        if (res.branchLayer[r * K + k] < 0) continue;
        const point = res.branchPoint[r * K + k], pi = res.branchPair[2 * (r * K + k)], pk = res.branchPair[2 * (r * K + k) + 1];
        branches.push({ layer: res.branchLayer[r * K + k], neuron: res.branchNeuron[r * K + k], ...(point === point ? { point } : {}), ...(pi >= 0 ? { pair: [pi, pk] as const } : {}) });
      }
      return { splits: s, margin, branches, params: res.params[d], lb: res.lb.slice(d * J, (d + 1) * J) };
    });
    if (!opts.candidate) return { doms };
    const order = doms.map((_, d) => d).filter((d) => !(doms[d].margin > 0)).sort((p, q) => doms[p].margin - doms[q].margin);
    const picked: Float64Array[] = [];
    for (const d of order) {
      if (picked.length >= perStep) break;
      for (let j = 0; j < J; j++) {
        const x = res.corner.slice((d * J + j) * n0, (d * J + j + 1) * n0);
        const key = cornerKey(x.map((v, i) => v - lower[i]), 0, n0);
        if (tried.has(key)) continue;
        if (tried.size < 1_000_000) tried.add(key);
        picked.push(x);
      }
    }
    const cex = screenCandidates(picked, (X, B) => forward(net, X, B), rows, opts.candidate);
    return cex ? { doms, cex } : { doms };
  };

  let heap: Heap<Domain>;
  if (opts.resume) {
    const kept = frontierHeaps.get(opts.resume);
    if (!kept) throw new Error('generalBab: this frontier was already resumed');
    frontierHeaps.delete(opts.resume);
    heap = kept.heap;
    maxDepth = opts.resume.maxDepth;
    rootMargin = opts.resume.rootMargin;
    const end = await leafAll(heap, kept.leaves);
    if (end) return end;
  } else {
    const root = evaluate([[]], [undefined], [undefined]);
    if (root.cex) return result('counterexample', -Infinity, root.cex);
    rootMargin = root.doms[0].margin;
    if (rootMargin > 0) return result('proved', rootMargin);
    heap = new Heap<Domain>();
    if (!root.doms[0].branches.length) {
      const v = await leaf(root.doms[0]);
      return v.end === 'proved' ? result('proved', 0) : ended(v, rootMargin);
    }
    heap.push(root.doms[0]);
  }
  let steps = 0;
  const maxSteps = opts.maxSteps ?? Infinity;
  while (heap.size) {
    if (now() > opts.deadline || opts.stop?.() || steps++ >= maxSteps) return timedOut(heap);
    if (heap.size + batch > maxDomains) return result('limit', heap.peek()!.margin);
    const parents: Domain[] = [];
    while (parents.length < batch && heap.size) parents.push(heap.pop()!);
    // filtered smart branching: each parent's candidates get their two children bounded once,
    // without optimisation (inherited α, β); the candidate whose worse child is best wins
    const choice = parents.map((p) => p.branches[0]);
    const probe = parents.map((p, q) => ({ p, q })).filter(({ p }) => p.branches.length > 1);
    if (probe.length) {
      const trial: Split[][] = [], trialInit: DomainParams[] = [], owner: [number, number][] = [];
      for (const { p, q } of probe) {
        p.branches.forEach((b, k) => {
          for (const active of [false, true]) { trial.push([...p.splits, { ...b, active }]); trialInit.push(p.params); owner.push([q, k]); }
        });
      }
      const res = boundDomains(state, c, J, trial, trialInit, { iterations: 0, lr, bounds, input: { lower, upper } });
      const worst = new Map<string, number>();
      owner.forEach(([q, k], t) => {
        const key = `${q}:${k}`, m = marginOf(res.lb, t)[0];
        worst.set(key, Math.min(worst.get(key) ?? Infinity, m));
      });
      for (const { p, q } of probe) {
        let bestK = 0, bestV = -Infinity;
        p.branches.forEach((_, k) => { const v = worst.get(`${q}:${k}`)!; if (v > bestV) { bestV = v; bestK = k; } });
        choice[q] = p.branches[bestK];
      }
    }
    const children: Split[][] = [];
    const init: DomainParams[] = [];
    const parentLb: Float64Array[] = [];
    parents.forEach((p, q) => {
      for (const active of [false, true]) {
        children.push([...p.splits, { ...choice[q], active }]);
        init.push(p.params);
        parentLb.push(p.lb);
      }
      maxDepth = Math.max(maxDepth, p.splits.length + 1);
    });
    const { doms, cex } = evaluate(children, init, parentLb);
    if (cex) return result('counterexample', -Infinity, cex);
    const leaves: Domain[] = [];
    for (const d of doms) {
      if (d.margin > 0) continue;
      if (d.branches.length) heap.push(d); else leaves.push(d);
    }
    const end = await leafAll(heap, leaves);
    if (end) return end;
  }
  return result('proved', 0);
}

/** Bytes of one domain's parameters (α per layer, β), the bulk of what a kept frontier holds. */
function domainBytes(d: Domain): number {
  let n = d.params.beta.length + (d.params.bounds?.packed.length ?? 0);
  for (const a of d.params.alpha) n += a?.length ?? 0;
  return 8 * n + 64 * (d.splits.length + d.branches.length);
}
