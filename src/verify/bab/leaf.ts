// The leaves of branch and bound (search.ts): a domain the bounds cannot split further (every
// unstable ReLU that matters is split) goes to the MILP of that domain — the typed encoder
// registry (src/milp/encode/ops) with each split as a row on its pre-activation and its binary
// gone (src/milp/encode/network.ts), so it is an LP when every unstable ReLU is split and a small
// MILP where MaxPools or irrelevant ReLUs remain. It works on every network the MILP encodes.
// Soundness: every real point of the domain satisfies the model (its layer bounds hold on the
// whole box, the split rows hold on the domain; relaxed encodings such as hidden sigmoids only
// add points), so 'infeasible' proves the domain safe; a point the solver finds counts only
// after milpFindInSet replays it (in the box, in the conjunction) and the caller replays it on
// the region. A network the MILP cannot encode, or a solve that ends otherwise, leaves the domain
// open ('stuck', reported as such). MaxPool order splits (x_i ≥ x_k) are not rows of the model
// (the encoder reads ReLU splits only): the model is then of a larger set, so 'infeasible' still
// proves the domain, and a point is still replayed before it counts.
import type { Network } from '../../network.js';
import { logitNetwork, outputSize } from '../../network.js';
import type { LayerBounds } from '../../bounds/types.js';
import type { Split } from '../../bounds/optimise/domains.js';
import { milpSupport } from '../../milp/encode/ops/index.js';
import { milpFindInSet } from '../../milp/findset.js';
import { now } from '../../clock.js';

export type LeafVerdict = { status: 'proved' } | { status: 'point'; x: Float64Array } | { status: 'timeout' } | { status: 'stuck'; why: string };

/** Decides one domain of the conjunction a_j·y ≤ b_j; `deadline` a now() value. */
export type LeafSolver = (splits: readonly Split[], deadline: number) => Promise<LeafVerdict>;

/**
 * The leaf solver of one conjunction over one box, with that box's layer bounds (those the
 * search's relaxations came from); null when the MILP cannot take the network (why in `why`).
 */
export function milpLeaf(net: Network, lower: Float64Array, upper: Float64Array, rows: { a: Float64Array; b: number }[], bounds: readonly LayerBounds[]): { leaf: LeafSolver } | { leaf: null; why: string } {
  // the MILP encodes up to the logit: a property on a trailing sigmoid's output is not its query
  if (logitNetwork(net) !== net) return { leaf: null, why: 'the network ends in a Sigmoid' };
  const support = milpSupport(net);
  if (support.support === 'none') return { leaf: null, why: support.why };
  const m = outputSize(net);
  const conj = { rows: rows.length, a: new Float64Array(rows.length * m), b: Float64Array.from(rows.map((r) => r.b)) };
  rows.forEach((r, j) => conj.a.set(r.a, j * m));
  return {
    leaf: async (splits, deadline) => {
      const timeLimitS = (deadline - now()) / 1000;
      if (timeLimitS <= 0.01) return { status: 'timeout' };
      const res = await milpFindInSet(net, { lower, upper }, [conj], { timeLimitS, layerBounds: bounds, splits });
      if (res.status === 'infeasible') return { status: 'proved' };
      if (res.status === 'found' && res.witness) return { status: 'point', x: res.witness.input };
      if (res.status === 'timeout') return { status: 'timeout' };
      return { status: 'stuck', why: `the leaf MILP ended ${res.status}${res.messages.length ? ` (${res.messages.join('; ')})` : ''}` };
    },
  };
}
