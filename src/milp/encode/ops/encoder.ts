// The contract every MILP operator encoder under src/milp/encode/ops implements, and what it
// says about itself: 'exact' (the rows describe exactly the op's graph over its input bounds),
// 'relaxed' (the rows contain the graph but also other points: such a model can prove a bound,
// never a point — every point it yields is replayed on the float64 network before it counts),
// or 'none' (no sound encoding; a stage asking for one is skipped). The registry in index.ts
// maps every op kind to one of these, so the compiler makes each new op kind say which it is.
import type { Op, Shape } from '../../../network.js';
import type { Expr, MilpBuilder } from '../../builder.js';

export interface ReluStats {
  unstable: number;
  active: number;
  inactive: number;
}

export interface PoolStats {
  windows: number;
  /** Windows left with one candidate (no binary). */
  decided: number;
}

export interface SigmoidStats {
  /** Neurons encoded by tangent and chord lines. */
  relaxed: number;
  /** Rows written for them. */
  rows: number;
}

export interface EncodeStats {
  relu: ReluStats;
  pool: PoolStats;
  sigmoid: SigmoidStats;
}

/** What an encoder knows about the layer it encodes. */
export interface EncodeCtx {
  b: MilpBuilder;
  /** Shapes of the op's inputs (two for add, one otherwise). */
  inShapes: Shape[];
  outShape: Shape;
  /** Bounds of the (first) input, as tight as known: big-M values and relaxations come from them. */
  lower: Float64Array;
  upper: Float64Array;
  stats: EncodeStats;
}

interface Encodes<O extends Op> {
  /**
   * True when the result is a weighted sum worth a column of its own (the network encoder
   * materialises it unless only ReLUs read it, whose rows carry the sum).
   */
  readonly weighted: boolean;
  /** One expression per output value over earlier columns; x holds each input's expressions. */
  encode(op: O, x: readonly (readonly Expr[])[], ctx: EncodeCtx): Expr[];
}

export type OpEncoder<O extends Op = Op> =
  | ({ readonly support: 'exact' } & Encodes<O>)
  | ({ readonly support: 'relaxed'; /** How the graph is over-approximated, for logs. */ readonly how: string } & Encodes<O>)
  | { readonly support: 'none'; /** Why no sound encoding exists, for logs. */ readonly why: string };

/** An exact encoder of a linear op (no rows of its own: expressions over earlier columns). */
export function linearEncoder<O extends Op>(weighted: boolean, encode: Encodes<O>['encode']): OpEncoder<O> {
  return { support: 'exact', weighted, encode };
}
