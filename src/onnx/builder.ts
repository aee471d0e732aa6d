// Grows the layer list while an ONNX graph is walked. It counts how many nodes still read
// each layer's output, so that a later node may change a layer in place (fold a bias,
// a BatchNormalization or a scale into it) only when nothing else sees the old value.
import { INPUT, inferShape, size } from '../network.js';
import type { Layer, Op, Shape } from '../network.js';
import { UserError } from '../errors.js';
import { internalShape, sameShape } from './values.js';
import type { Dyn } from './values.js';

export class NetBuilder {
  readonly layers: Layer[] = [];
  private readers: number[] = [];

  constructor(readonly inputShape: Shape, private uses: (tensor: string) => number) {}

  shapeOf(src: number): Shape {
    return src === INPUT ? this.inputShape : this.layers[src].shape;
  }

  /** Appends a layer reading `inputs`; its output is tensor `out` with ONNX dims `dims`. */
  add(op: Op, inputs: number[], name: string, out: string, dims: number[], where: string): Dyn {
    const shape = internalShape(dims);
    const inferred = inferShape(op, this.shapeOf(inputs[0]));
    if (typeof inferred === 'string') throw new UserError(`${where}: ${inferred}`);
    if (size(inferred) !== size(shape)) throw new UserError(`${where}: output [${dims}] does not fit the op's result [${inferred}]`);
    this.layers.push({ name, op, inputs, shape });
    this.readers.push(this.uses(out));
    return { t: 'dyn', src: this.layers.length - 1, dims };
  }

  /** Tensor `out` is v under another name (and maybe other dims of the same internal shape). */
  alias(v: Dyn, out: string, dims: number[] = v.dims): Dyn {
    if (v.src !== INPUT) this.readers[v.src] += this.uses(out) - 1;
    return { t: 'dyn', src: v.src, dims };
  }

  /** A node read v only for its shape (Shape): it no longer counts as a reader. */
  release(v: Dyn): void {
    if (v.src !== INPUT) this.readers[v.src]--;
  }

  /** The layer behind v when the current node is its only reader, so it may be changed in place. */
  exclusive(v: Dyn): Layer | undefined {
    return v.src !== INPUT && this.readers[v.src] === 1 ? this.layers[v.src] : undefined;
  }

  /** Same data viewed with new dims: an alias, an in-place edit of a reshape, or a reshape layer. */
  reshape(v: Dyn, out: string, dims: number[], name: string, where: string): Dyn {
    const shape = internalShape(dims);
    if (sameShape(shape, this.shapeOf(v.src))) return this.alias(v, out, dims);
    const own = this.exclusive(v);
    if (own && own.op.kind === 'reshape') {
      own.shape = shape;
      return this.alias(v, out, dims);
    }
    return this.add({ kind: 'reshape' }, [v.src], name, out, dims, where);
  }

  /** Keeps the layers the output depends on, renumbered; the output layer comes last. */
  finish(output: number): Layer[] {
    const keep = new Set<number>();
    const stack = [output];
    while (stack.length) {
      const i = stack.pop()!;
      if (i === INPUT || keep.has(i)) continue;
      keep.add(i);
      stack.push(...this.layers[i].inputs);
    }
    const order = [...keep].sort((a, b) => a - b);
    const index = new Map<number, number>(order.map((old, k) => [old, k]));
    return order.map((old) => {
      const l = this.layers[old];
      return { ...l, inputs: l.inputs.map((s) => (s === INPUT ? INPUT : index.get(s)!)) };
    });
  }
}
