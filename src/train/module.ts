// What a trainable layer implements. Buffers hold a mini-batch sample-major: sample b's
// values are at [b*size, (b+1)*size). Kernels are written as contiguous inner loops with
// no allocation per call, since they run once per mini-batch.

export interface TrainModule {
  readonly inSize: number;
  readonly outSize: number;
  /** Trained arrays (the network's own weight/bias arrays, updated in place). */
  readonly params: Float64Array[];
  /** Gradient accumulators, same shapes as params. */
  readonly grads: Float64Array[];
  /** y = f(x) for the first B samples. */
  forward(x: Float64Array, y: Float64Array, B: number): void;
  /**
   * Adds this batch's parameter gradients to `grads` and overwrites dx with dLoss/dx
   * (dx is null for the first layer, whose input gradient nobody needs).
   */
  backward(x: Float64Array, y: Float64Array, dy: Float64Array, dx: Float64Array | null, B: number): void;
}
