// Branch and bound over ReLU splits for one conjunction of rows a_j·y ≤ b_j over an input
// box, on ANY network of the network form (src/bounds/optimise/domains.ts bounds its domains:
// β-CROWN with joint α,β per batch on the engine's one backward pass). Domains with the lowest
// margin are split in batches on the ReLU the BaBSR score of their closest-to-proved row
// picks; children inherit their parent's α and β. The two children of a split cover the
// parent's subdomain (z ≤ 0 or z ≥ 0), so the conjunction is unreachable once every leaf has
// a row whose bound exceeds its b_j. A domain with nothing left to split that is not proved
// stops the search ('stuck'; leaf LPs are only on dense chains, relu-bab-leaf.ts).
// Counterexamples are never inferred from bounds: the box corner minimising a domain's row is
// a candidate, screened on the float64 forward pass and confirmed by `opts.candidate`.
import type { Network } from '../../network.js';
import { outputSize } from '../../network.js';
import { forward } from '../../forward.js';
import { planOf } from '../../bounds/plan.js';
import { crownChunk } from '../../bounds/crown.js';
import { boundDomains, type DomainParams, type Split } from '../../bounds/optimise/domains.js';
import type { LayerBounds } from '../../bounds/types.js';
import { cornerKey, Heap, screenCandidates, type ReluBabResult, type ReluBabStatus } from '../relu-bab.js';

export interface BabRowSpec {
  a: Float64Array;
  b: number;
}

export interface BabOptions {
  deadline: number;
  /** Domains split per step (2× as many children are bounded at once). Default 32. */
  batch?: number;
  maxDomains?: number;
  /** Joint α,β Adam steps per batch. Default 8. */
  iterations?: number;
  lr?: number;
  /** Layer bounds of the box to start from (e.g. the α stage's); default CROWN's. */
  bounds?: LayerBounds[];
  /** The root's state and bounds from an earlier call on the same box (rootOf): saves a CROWN pass. */
  root?: BabRoot;
  candidate?: (x: Float64Array) => boolean;
  candidatesPerStep?: number;
}

interface Domain {
  splits: Split[];
  margin: number;
  branch?: { layer: number; neuron: number };
  params: DomainParams;
}

function blockRowsOf(maxWidth: number): number {
  return Math.max(2, Math.min(2048, Math.floor((64 * 1024 * 1024) / (8 * 3 * maxWidth))));
}

export type BabRoot = ReturnType<typeof crownChunk>;

/** The box's layer bounds and relaxations (CROWN ∩ `given` where given: re-relaxed from them). */
export function rootOf(net: Network, lower: Float64Array, upper: Float64Array, given?: LayerBounds[]): BabRoot {
  const plan = planOf(net);
  return crownChunk(plan, { lower, upper }, 1, blockRowsOf(plan.maxWidth), false, given ? (_st, i, b) => {
    const g = given[i];
    for (let k = 0; k < b.lower.length; k++) { b.lower[k] = Math.max(b.lower[k], g.lower[k]); b.upper[k] = Math.min(b.upper[k], g.upper[k]); }
  } : undefined);
}

export function generalBab(net: Network, lower: Float64Array, upper: Float64Array, rows: BabRowSpec[], opts: BabOptions): ReluBabResult {
  const t0 = performance.now();
  const plan = planOf(net);
  const m = outputSize(net), J = rows.length, n0 = plan.inSize;
  const { state, bounds } = opts.root ?? rootOf(net, lower, upper, opts.bounds);
  const c = new Float64Array(J * m);
  rows.forEach((r, j) => c.set(r.a, j * m));
  const batch = Math.max(1, opts.batch ?? 32), maxDomains = opts.maxDomains ?? 200_000, perStep = opts.candidatesPerStep ?? 32;
  const iterations = opts.iterations ?? 8, lr = opts.lr ?? 0.1;
  const tried = new Set<string>();
  let domainsBounded = 0, maxDepth = 0, rootMargin = -Infinity;
  const result = (status: ReluBabStatus, margin: number, x?: Float64Array): ReluBabResult =>
    ({ status, x, domains: domainsBounded, maxDepth, margin, rootMargin, lps: 0, timeS: (performance.now() - t0) / 1000 });

  const evaluate = (splits: Split[][], init: (DomainParams | undefined)[]): { doms: Domain[]; cex?: Float64Array } => {
    const res = boundDomains(state, c, J, splits, init, { iterations, lr, bounds, input: { lower, upper } });
    domainsBounded += splits.length;
    const doms = splits.map((s, d): Domain => {
      let margin = -Infinity, jm = 0;
      for (let j = 0; j < J; j++) {
        const v = res.lb[d * J + j] - rows[j].b;
        if (v > margin) { margin = v; jm = j; }
      }
      let r = d * J + jm;
      for (let j = 0; j < J && res.branchLayer[r] < 0; j++) r = d * J + j;
      const branch = res.branchLayer[r] >= 0 ? { layer: res.branchLayer[r], neuron: res.branchNeuron[r] } : undefined;
      return { splits: s, margin, branch, params: res.params[d] };
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
    if (!picked.length) return { doms };
    const X = new Float64Array(picked.length * n0);
    picked.forEach((x, q) => X.set(x, q * n0));
    const cex = screenCandidates(picked, forward(net, X, picked.length), rows, opts.candidate);
    return cex ? { doms, cex } : { doms };
  };

  const root = evaluate([[]], [undefined]);
  if (root.cex) return result('counterexample', -Infinity, root.cex);
  rootMargin = root.doms[0].margin;
  if (rootMargin > 0) return result('proved', rootMargin);
  const heap = new Heap<Domain>();
  if (!root.doms[0].branch) return result('stuck', rootMargin);
  heap.push(root.doms[0]);
  while (heap.size) {
    if (Date.now() > opts.deadline) return result('timeout', heap.peek()!.margin);
    if (heap.size + batch > maxDomains) return result('limit', heap.peek()!.margin);
    const parents: Domain[] = [];
    while (parents.length < batch && heap.size) parents.push(heap.pop()!);
    const children: Split[][] = [];
    const init: DomainParams[] = [];
    for (const p of parents) {
      for (const active of [false, true]) {
        children.push([...p.splits, { layer: p.branch!.layer, neuron: p.branch!.neuron, active }]);
        init.push(p.params);
      }
      maxDepth = Math.max(maxDepth, p.splits.length + 1);
    }
    const { doms, cex } = evaluate(children, init);
    if (cex) return result('counterexample', -Infinity, cex);
    for (const d of doms) {
      if (d.margin > 0) continue;
      heap.push(d);
      if (!d.branch) return result('stuck', heap.peek()!.margin);
    }
  }
  return result('proved', 0);
}
