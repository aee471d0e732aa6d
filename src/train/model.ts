// A sequential Network wrapped for mini-batch training: one module per compute layer,
// activation and gradient buffers allocated once for the largest batch. The modules train
// the network's own weight arrays in place. Reshapes are free (buffers are flat), and a
// trailing Sigmoid is left to the loss (binary cross-entropy on the logit is stabler).
import { UserError } from '../errors.js';
import { isSequential, layerInputShape, size, type Network, type Op } from '../network.js';
import { ReluModule, SigmoidModule } from './activation.js';
import { ConvModule } from './conv.js';
import { DenseModule } from './dense.js';
import type { TrainModule } from './module.js';
import { MaxPoolModule } from './pool.js';

/** The training module of network layer i, or null for layers that need none (reshape, trailing sigmoid). */
export function makeModule(net: Network, i: number, maxBatch: number, op: Op = net.layers[i].op): TrainModule | null {
  const layer = net.layers[i];
  const inShape = layerInputShape(net, i);
  const n = size(inShape);
  switch (op.kind) {
    case 'dense': return new DenseModule(op, maxBatch);
    case 'conv2d': return new ConvModule(op, inShape, layer.shape, maxBatch);
    case 'maxpool2d': return new MaxPoolModule(op, inShape, layer.shape, maxBatch);
    case 'relu': return new ReluModule(n);
    case 'sigmoid': return i === net.layers.length - 1 ? null : new SigmoidModule(n);
    case 'reshape': return null;
    default:
      throw new UserError(`${net.name}: layer ${i} '${layer.name}': training does not support ${op.kind} (supported: dense, conv2d, maxpool2d, relu, sigmoid, reshape)`);
  }
}

export class TrainableModel {
  readonly modules: TrainModule[] = [];
  /** The network layer each module trains. */
  readonly layerOf: number[] = [];
  /** True when the network ends in a Sigmoid that the loss applies (one-output binary head). */
  readonly sigmoidHead: boolean;
  readonly inSize: number;
  readonly outSize: number;
  private readonly acts: Float64Array[];
  private readonly dacts: Float64Array[];

  constructor(readonly net: Network, readonly maxBatch: number) {
    if (!isSequential(net)) throw new UserError(`${net.name}: training supports sequential networks only (this one has a branch)`);
    const last = net.layers.length - 1;
    this.sigmoidHead = net.layers[last]?.op.kind === 'sigmoid';
    net.layers.forEach((_, i) => {
      const m = makeModule(net, i, maxBatch);
      if (m) { this.modules.push(m); this.layerOf.push(i); }
    });
    this.inSize = size(net.inputShape);
    this.outSize = this.modules.length ? this.modules[this.modules.length - 1].outSize : this.inSize;
    if (this.sigmoidHead && this.outSize !== 1) throw new UserError(`${net.name}: a trailing Sigmoid is trained as a binary head and needs 1 output, not ${this.outSize}`);
    this.acts = [new Float64Array(maxBatch * this.inSize), ...this.modules.map((m) => new Float64Array(maxBatch * m.outSize))];
    this.dacts = this.acts.map((a, i) => (i === 0 ? new Float64Array(0) : new Float64Array(a.length)));
  }

  /** Buffer the caller fills with the batch's inputs (B × inSize). */
  get input(): Float64Array { return this.acts[0]; }

  /** Logits of the last forward pass (B × outSize); the loss writes its gradient into `outputGrad`. */
  get output(): Float64Array { return this.acts[this.acts.length - 1]; }
  get outputGrad(): Float64Array { return this.dacts[this.dacts.length - 1]; }

  forward(B: number): Float64Array {
    if (B > this.maxBatch) throw new Error(`batch ${B} exceeds ${this.maxBatch}`);
    for (let i = 0; i < this.modules.length; i++) this.modules[i].forward(this.acts[i], this.acts[i + 1], B);
    return this.output;
  }

  /** Back-propagates outputGrad, accumulating into the modules' grads. */
  backward(B: number): void {
    for (let i = this.modules.length - 1; i >= 0; i--) {
      this.modules[i].backward(this.acts[i], this.acts[i + 1], this.dacts[i + 1], i > 0 ? this.dacts[i] : null, B);
    }
  }

  params(): Float64Array[] { return this.modules.flatMap((m) => m.params); }
  grads(): Float64Array[] { return this.modules.flatMap((m) => m.grads); }
  zeroGrads(): void { for (const g of this.grads()) g.fill(0); }
}
