// Max pooling over a mini-batch; forward remembers which input won each window so that
// backward routes the gradient to it (padded positions never win).
import type { MaxPool2dOp, Shape } from '../network.js';
import type { TrainModule } from './module.js';
import { windowsOf } from '../bounds/ops/window.js';

export class MaxPoolModule implements TrainModule {
  readonly inSize: number;
  readonly outSize: number;
  readonly params: Float64Array[] = [];
  readonly grads: Float64Array[] = [];
  private readonly argmax: Int32Array;

  constructor(private readonly op: MaxPool2dOp, private readonly inShape: Shape, private readonly outShape: Shape, maxBatch: number) {
    this.inSize = inShape[0] * inShape[1] * inShape[2];
    this.outSize = outShape[0] * outShape[1] * outShape[2];
    this.argmax = new Int32Array(maxBatch * this.outSize);
  }

  forward(x: Float64Array, y: Float64Array, B: number): void {
    const { start, idx } = windowsOf(this.op, this.inShape, this.outShape);
    const am = this.argmax;
    for (let s = 0; s < B; s++) {
      const xs = s * this.inSize, os = s * this.outSize;
      for (let o = 0; o < this.outSize; o++) {
        let best = -Infinity, bi = -1;
        for (let t = start[o]; t < start[o + 1]; t++) {
          const j = idx[t];
          if (x[xs + j] > best || bi < 0) { best = x[xs + j]; bi = j; }
        }
        y[os + o] = best;
        am[os + o] = bi;
      }
    }
  }

  backward(_x: Float64Array, _y: Float64Array, dy: Float64Array, dx: Float64Array | null, B: number): void {
    if (!dx) return;
    dx.fill(0, 0, B * this.inSize);
    const am = this.argmax;
    for (let s = 0; s < B; s++) {
      const xs = s * this.inSize, os = s * this.outSize;
      for (let o = 0; o < this.outSize; o++) { const j = am[os + o]; if (j >= 0) dx[xs + j] += dy[os + o]; }
    }
  }
}
