// Interval bound propagation (IBP) for certified training (Gowal et al., 2018): the box
// [x - eps, x + eps] ∩ [0, 1] is pushed through the network as lower/upper bounds, affine
// layers in centre/radius form (centre through W, radius through |W|) and monotone layers
// (ReLU, Sigmoid, max-pool) on each bound. The loss on the worst-case logits (lower bound
// for the true class, upper bounds for the others) is differentiable, so training on it
// makes networks that IBP, and hence the verifier, can prove robust.
import type { Network } from '../network.js';
import type { TrainModule } from './module.js';
import { makeModule, type TrainableModel } from './model.js';
import { binaryCrossEntropy, softmaxCrossEntropy } from './loss.js';

type Stage =
  | { kind: 'affine'; center: TrainModule; radius: TrainModule; w: Float64Array; absW: Float64Array; gw: Float64Array; gAbsW: Float64Array;
      mu: Float64Array; r: Float64Array; muOut: Float64Array; rOut: Float64Array; dmuOut: Float64Array; drOut: Float64Array; dmuIn: Float64Array; drIn: Float64Array }
  | { kind: 'monotone'; lo: TrainModule; up: TrainModule };

export interface IntervalLoss { loss: number; verified: number }

export class IntervalModel {
  private readonly stages: Stage[] = [];
  /** Bounds before each stage and after the last; their gradients. */
  private readonly L: Float64Array[];
  private readonly U: Float64Array[];
  private readonly dL: Float64Array[];
  private readonly dU: Float64Array[];
  private readonly worst: Float64Array;
  private readonly dWorst: Float64Array;

  /** Trains the same weights as `model`, whose dense/conv modules it shares (and their grads). */
  constructor(readonly model: TrainableModel) {
    const net: Network = model.net, B = model.maxBatch;
    model.modules.forEach((m, i) => {
      const li = model.layerOf[i];
      const op = net.layers[li].op;
      if (op.kind === 'dense' || op.kind === 'conv2d') {
        const absW = new Float64Array(op.weight.length);
        const radius = makeModule(net, li, B, { ...op, weight: absW, bias: new Float64Array(op.bias.length) })!;
        const buf = (n: number) => new Float64Array(B * n);
        this.stages.push({
          kind: 'affine', center: m, radius, w: op.weight, absW, gw: m.grads[0], gAbsW: radius.grads[0],
          mu: buf(m.inSize), r: buf(m.inSize), muOut: buf(m.outSize), rOut: buf(m.outSize),
          dmuOut: buf(m.outSize), drOut: buf(m.outSize), dmuIn: buf(m.inSize), drIn: buf(m.inSize),
        });
      } else {
        this.stages.push({ kind: 'monotone', lo: makeModule(net, li, B)!, up: makeModule(net, li, B)! });
      }
    });
    const sizes = [model.inSize, ...model.modules.map((m) => m.outSize)];
    this.L = sizes.map((n) => new Float64Array(B * n));
    this.U = sizes.map((n) => new Float64Array(B * n));
    this.dL = sizes.map((n) => new Float64Array(B * n));
    this.dU = sizes.map((n) => new Float64Array(B * n));
    this.worst = new Float64Array(B * model.outSize);
    this.dWorst = new Float64Array(B * model.outSize);
  }

  get lower(): Float64Array { return this.L[this.L.length - 1]; }
  get upper(): Float64Array { return this.U[this.U.length - 1]; }

  /** Bounds of the logits over the box of radius eps around model.input, clipped to [0, 1]. */
  forward(B: number, eps: number): void {
    const x = this.model.input, n = this.model.inSize;
    const L0 = this.L[0], U0 = this.U[0];
    for (let i = 0; i < B * n; i++) { L0[i] = Math.max(x[i] - eps, 0); U0[i] = Math.min(x[i] + eps, 1); }
    this.stages.forEach((st, i) => {
      const Li = this.L[i], Ui = this.U[i], Lo = this.L[i + 1], Uo = this.U[i + 1];
      if (st.kind === 'monotone') { st.lo.forward(Li, Lo, B); st.up.forward(Ui, Uo, B); return; }
      for (let k = 0; k < st.w.length; k++) st.absW[k] = Math.abs(st.w[k]);
      const nin = B * st.center.inSize, nout = B * st.center.outSize;
      for (let k = 0; k < nin; k++) { st.mu[k] = 0.5 * (Li[k] + Ui[k]); st.r[k] = 0.5 * (Ui[k] - Li[k]); }
      st.center.forward(st.mu, st.muOut, B);
      st.radius.forward(st.r, st.rOut, B);
      for (let k = 0; k < nout; k++) { Lo[k] = st.muOut[k] - st.rOut[k]; Uo[k] = st.muOut[k] + st.rOut[k]; }
    });
  }

  /**
   * Cross-entropy of the worst-case logits for the batch's labels, its gradient (times
   * `weight`) written for backward(); `verified` counts samples whose worst case is still right.
   */
  loss(labels: Uint8Array, B: number, weight: number, sigmoidHead: boolean): IntervalLoss {
    const C = this.model.outSize, lo = this.lower, up = this.upper, z = this.worst;
    for (let s = 0; s < B; s++) {
      for (let c = 0; c < C; c++) {
        const truth = sigmoidHead ? labels[s] === 1 : c === labels[s];
        z[s * C + c] = truth ? lo[s * C + c] : up[s * C + c];
      }
    }
    const r = sigmoidHead ? binaryCrossEntropy(z, labels, B, this.dWorst) : softmaxCrossEntropy(z, labels, B, C, this.dWorst);
    const dLo = this.dL[this.dL.length - 1], dUp = this.dU[this.dU.length - 1];
    for (let s = 0; s < B; s++) {
      for (let c = 0; c < C; c++) {
        const k = s * C + c, g = weight * this.dWorst[k];
        const truth = sigmoidHead ? labels[s] === 1 : c === labels[s];
        dLo[k] = truth ? g : 0;
        dUp[k] = truth ? 0 : g;
      }
    }
    return { loss: r.loss, verified: r.correct };
  }

  /** Back-propagates the interval loss, adding to the shared modules' weight and bias gradients. */
  backward(B: number): void {
    for (let i = this.stages.length - 1; i >= 0; i--) {
      const st = this.stages[i];
      const dLo = this.dL[i + 1], dUo = this.dU[i + 1];
      const first = i === 0;
      if (st.kind === 'monotone') {
        st.lo.backward(this.L[i], this.L[i + 1], dLo, first ? null : this.dL[i], B);
        st.up.backward(this.U[i], this.U[i + 1], dUo, first ? null : this.dU[i], B);
        continue;
      }
      const nout = B * st.center.outSize, nin = B * st.center.inSize;
      for (let k = 0; k < nout; k++) { st.dmuOut[k] = dLo[k] + dUo[k]; st.drOut[k] = dUo[k] - dLo[k]; }
      st.center.backward(st.mu, st.muOut, st.dmuOut, first ? null : st.dmuIn, B);
      st.gAbsW.fill(0);
      st.radius.backward(st.r, st.rOut, st.drOut, first ? null : st.drIn, B);
      // d|w|/dw = sign(w)
      for (let k = 0; k < st.w.length; k++) st.gw[k] += Math.sign(st.w[k]) * st.gAbsW[k];
      if (!first) {
        const dLi = this.dL[i], dUi = this.dU[i];
        for (let k = 0; k < nin; k++) { dLi[k] = 0.5 * (st.dmuIn[k] - st.drIn[k]); dUi[k] = 0.5 * (st.dmuIn[k] + st.drIn[k]); }
      }
    }
  }
}
