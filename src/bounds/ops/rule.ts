// The contract every operator file under src/bounds/ops implements: its exact (or sound)
// interval image, its linear relaxation as data (../relax/types.ts), its backward (CROWN)
// step and, for nonlinear ops, its part of the reverse sweep that gives the bound's gradient
// with respect to the relaxation's parameters. The drivers only iterate layers and call these,
// so adding an operator means writing one file and registering it in ops/index.ts.
import type { Op, Shape } from '../../network.js';
import type { LayerBounds } from '../types.js';
import type { LayerParams, Relaxation } from '../relax/types.js';
import type { Coeffs, Patches } from '../patches.js';
import type { LiveLines, LiveRows } from '../live.js';

/** What a rule knows about the layer it is applied to. */
export interface RuleCtx {
  /** Number of boxes the bounds hold. */
  count: number;
  /** Shapes and sizes of the op's inputs (one for every op but add). */
  inShapes: Shape[];
  inSizes: number[];
  outShape: Shape;
  outSize: number;
  /**
   * Backward steps only (../live.ts): the columns of input 0 whose coefficients can matter for a
   * row of box `box` (null: all of them). A rule may leave the other columns 0; rules that do not
   * read it compute every column, which gives the same bounds.
   */
  live?: (box: number) => Int32Array | null;
  /**
   * Dense steps in live form only (../live.ts fusedLines): the lines of the ReLU that input 0 is,
   * on the columns `live` gives, for a step that takes the ReLU's step too.
   */
  fuse?: (box: number) => { lines: LiveLines; relax: Relaxation };
  /**
   * Reverse sweeps only (../backward.ts PassParams.needOut): the output columns the sweep must
   * compute; a rule may leave the others +0 (a Dense layer's reach only ReLU lines that are 0 on
   * every box; such a ReLU's own outputs are +0).
   */
  needOut?: Int32Array;
  /**
   * Backward steps with a gradient (../backward.ts PassParams.needIn): the columns of input 0
   * whose coefficients later steps read; a rule may leave the others 0 (they reach only ReLU lines
   * that are 0 on every box).
   */
  needIn?: Int32Array;
}

/**
 * A block of backward-pass rows. Every row is a LOWER bound f ≥ A·z + bias[r] of some linear
 * function f for box box[r] (upper bounds are lower bounds of −f), so a relaxation picks its
 * lower line for a non-negative coefficient and its upper line for a negative one.
 */
export interface Rows {
  n: number;
  box: Int32Array;
  bias: Float64Array;
}

/**
 * The backward step on rows in patch form (../patches.ts), with the same meaning as `backward`:
 * coefficients on each input, in patch form while they stay narrower than the input layer,
 * else dense. May reuse or overwrite P.
 */
export type PatchStep<O extends Op> = (op: O, P: Patches, rows: Rows, ctx: RuleCtx, relax: Relaxation | undefined, param?: LayerParams) => Coeffs[];

/**
 * The reverse sweep on rows whose coefficients on the op's output were patches P (for nonlinear
 * ops P.data holds them as the backward step was given them; for linear ops only P's geometry
 * counts): the bound's derivative with respect to those coefficients, as data in P's layout,
 * from the derivative on the input, read on any windows the rule asks for (`read`: its
 * gatherWindows, ../patches.ts; ask for the windows the patch step produced). Writes d bound / d α
 * into grad.alpha (dense layout, rows.n × outSize) as `reverse` does. Positions outside the layer
 * are not read.
 */
export type PatchReverse<O extends Op> = (op: O, read: (Q: Patches) => Float64Array, P: Patches, rows: Rows, ctx: RuleCtx, relax: Relaxation | undefined, param?: LayerParams, grad?: LayerParams) => Float64Array;

export interface OpRule<O extends Op = Op> {
  /** True when the op's relaxation depends on its input bounds (CROWN tightens those inputs). */
  readonly nonlinear: boolean;
  /** For nonlinear ops: true when only inputs with l < 0 < u need tightening (ReLU). */
  readonly onlyUnstable?: boolean;
  /** Bounds of the op's output for every box, from the bounds of its inputs. */
  interval(op: O, inputs: LayerBounds[], ctx: RuleCtx): LayerBounds;
  /** The op's linear relaxation from its (final) input bounds, computed once per layer. */
  relax?(op: O, inputs: LayerBounds[], ctx: RuleCtx): Relaxation;
  /**
   * Coefficients on each input (rows.n × inSize) from coefficients A (rows.n × outSize) on the
   * output; constant terms are added into rows.bias. May reuse or overwrite A. `param`: the
   * rows' free parameters of this layer (only read by rules whose relaxation has some).
   */
  backward(op: O, A: Float64Array, rows: Rows, ctx: RuleCtx, relax: Relaxation | undefined, param?: LayerParams): Float64Array[];
  /**
   * Optional, plain passes only (no gradient, no onLayer; ../live.ts): the backward step on rows
   * in dense or live form, giving the inputs' coefficients in either form, with the same meaning
   * and the same bits as `backward` once in dense form. A rule without it gets dense rows.
   */
  backwardLive?(op: O, A: Float64Array | LiveRows, rows: Rows, ctx: RuleCtx, relax: Relaxation | undefined, param?: LayerParams): (Float64Array | LiveRows)[];
  /**
   * Optional, for linear ops whose only input is the network input (or reshapes of it), on the last step of a pass
   * without a gradient: adds the op's constant terms to rows.bias, then returns rows.bias plus
   * the concretisation, over each row's box (mid, rad: boxes × input size), of the coefficients
   * `backward` would give on the input, with the same sums in the same order as `backward`
   * followed by linalg.concretise (so the same bits), without materialising them.
   */
  concretiseInput?(op: O, A: Float64Array | LiveRows, rows: Rows, ctx: RuleCtx, mid: Float64Array, rad: Float64Array): Float64Array;
  /**
   * Every op says what it does with rows in patch form: its own step, or 'dense' (the pass
   * converts the rows and calls `backward`; right for ops that mix all positions).
   */
  readonly patches: PatchStep<O> | 'dense';
  /**
   * Nonlinear ops, reverse sweep: from G (rows.n × inSize), the bound's derivative with respect
   * to the coefficients on the input, the derivative with respect to the coefficients A the
   * backward step was given on the output (A as it was before that step); adds d bound / d α
   * into grad.alpha. Linear ops may leave it out: their derivative is their forward pass
   * (forward.ts), which the sweep then runs; A and relax are only given to nonlinear ops.
   */
  reverse?(op: O, G: Float64Array, A: Float64Array | undefined, rows: Rows, ctx: RuleCtx, relax: Relaxation | undefined, param?: LayerParams, grad?: LayerParams): Float64Array;
  /** The reverse sweep on patch rows (optional: without it the sweep runs `reverse` or the forward pass on dense rows and reads the window). */
  readonly reversePatches?: PatchReverse<O>;
}
