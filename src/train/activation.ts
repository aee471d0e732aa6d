// Element-wise activations; backward uses the saved output (y > 0 for ReLU, y(1-y) for Sigmoid).
import type { TrainModule } from './module.js';

export class ReluModule implements TrainModule {
  readonly params: Float64Array[] = [];
  readonly grads: Float64Array[] = [];
  constructor(readonly inSize: number, readonly outSize = inSize) {}

  forward(x: Float64Array, y: Float64Array, B: number): void {
    const n = B * this.inSize;
    for (let i = 0; i < n; i++) { const v = x[i]; y[i] = v > 0 ? v : 0; }
  }

  backward(_x: Float64Array, y: Float64Array, dy: Float64Array, dx: Float64Array | null, B: number): void {
    if (!dx) return;
    const n = B * this.inSize;
    for (let i = 0; i < n; i++) dx[i] = y[i] > 0 ? dy[i] : 0;
  }
}

export class SigmoidModule implements TrainModule {
  readonly params: Float64Array[] = [];
  readonly grads: Float64Array[] = [];
  constructor(readonly inSize: number, readonly outSize = inSize) {}

  forward(x: Float64Array, y: Float64Array, B: number): void {
    const n = B * this.inSize;
    for (let i = 0; i < n; i++) y[i] = 1 / (1 + Math.exp(-x[i]));
  }

  backward(_x: Float64Array, y: Float64Array, dy: Float64Array, dx: Float64Array | null, B: number): void {
    if (!dx) return;
    const n = B * this.inSize;
    for (let i = 0; i < n; i++) dx[i] = dy[i] * y[i] * (1 - y[i]);
  }
}
