// What an operator handler sees: the node, the builder, and helpers that turn a missing or
// wrongly kinded input into a UserError naming the file, node and op.
import { UserError } from '../errors.js';
import type { NetBuilder } from './builder.js';
import type { NodeProto } from './proto.js';
import type { Const, Dyn, Value } from './values.js';

export interface Ctx {
  b: NetBuilder;
  node: NodeProto;
  /** Node name (made up from its output when the file has none). */
  name: string;
  op: string;
  /** "<file>: node 'Conv_0' (Conv)", the prefix of every message about this node. */
  where: string;
  /** Version of the default ONNX operator set the model imports. */
  opset: number;
  /** Name of output k. */
  out(k?: number): string;
  /** How many nodes (and graph outputs) read tensor `name`. */
  uses(name: string): number;
  /** True when tensor `name` is read only as the graph's output (nothing inside reads it). */
  onlyGraphOutput(name: string): boolean;
  warn(message: string): void;
}

export type Handler = (ctx: Ctx, ins: (Value | undefined)[]) => (Value | undefined)[];

export function fail(ctx: Ctx, message: string): never {
  throw new UserError(`${ctx.where}: ${message}`);
}

/** Input k must be a network tensor (not a constant). */
export function dyn(ctx: Ctx, v: Value | undefined, k = 0): Dyn {
  if (!v) fail(ctx, `input ${k} is missing`);
  if (v.t !== 'dyn') fail(ctx, `input ${k} ('${ctx.node.input?.[k]}') must depend on the network input, got a constant`);
  return v;
}

/** Input k must be a constant (an initializer or a folded constant sub-graph). */
export function cst(ctx: Ctx, v: Value | undefined, k: number, what = `input ${k}`): Const {
  if (!v) fail(ctx, `${what} is missing`);
  if (v.t !== 'const') fail(ctx, `${what} ('${ctx.node.input?.[k]}') must be a constant (an initializer), but it depends on the network input`);
  return v;
}

export function fmt(dims: readonly number[]): string {
  return `[${dims.join(',')}]`;
}
