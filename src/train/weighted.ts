// What the layers with weights (Dense, Conv2d) share: they train the network's own weight and
// bias arrays in place, with one gradient accumulator for each.
import type { TrainModule } from './module.js';

export abstract class WeightedModule implements TrainModule {
  readonly params: Float64Array[];
  readonly grads: Float64Array[];
  protected readonly w: Float64Array;
  protected readonly b: Float64Array;
  protected readonly gw: Float64Array;
  protected readonly gb: Float64Array;

  constructor(op: { weight: Float64Array; bias: Float64Array }, readonly inSize: number, readonly outSize: number) {
    this.w = op.weight;
    this.b = op.bias;
    this.gw = new Float64Array(op.weight.length);
    this.gb = new Float64Array(op.bias.length);
    this.params = [this.w, this.b];
    this.grads = [this.gw, this.gb];
  }

  abstract forward(x: Float64Array, y: Float64Array, B: number): void;
  abstract backward(x: Float64Array, y: Float64Array, dy: Float64Array, dx: Float64Array | null, B: number): void;
}
