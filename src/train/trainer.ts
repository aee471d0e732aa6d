// Mini-batch training loop: seeded shuffling each epoch, Adam with a constant or cosine
// learning rate, mean loss and accuracy per epoch, optional validation accuracy.
import { UserError } from '../errors.js';
import { size, type Network } from '../network.js';
import type { Dataset } from '../data/dataset.js';
import { Adam } from './adam.js';
import { binaryCrossEntropy, softmaxCrossEntropy, type BatchLoss } from './loss.js';
import { IntervalModel } from './ibp.js';
import { TrainableModel } from './model.js';
import { makeRng, shuffle } from './rng.js';

export interface TrainOptions {
  epochs: number;
  batchSize: number;
  lr: number;
  seed: number;
  /** 'cosine' decays the rate to 0 over the run; default 'constant'. */
  schedule?: 'constant' | 'cosine';
  /** Use only the first N training images. */
  limit?: number;
  /** Evaluated after each epoch (e.g. the test split). */
  validation?: Dataset;
  /** Certified (IBP) training: see IbpOptions. */
  ibp?: IbpOptions;
  onEpoch?(stats: EpochStats): void;
  onBatch?(done: number, total: number): void;
}

/**
 * Loss = (1 - kappa) * clean cross-entropy + kappa * cross-entropy of the IBP worst case at
 * radius eps; eps and kappa grow linearly from 0 over the first `ramp` fraction of the steps.
 */
export interface IbpOptions {
  eps: number;
  /** Fraction of all steps over which eps and kappa ramp up (default 0.5). */
  ramp?: number;
  /** Final weight of the interval loss (default 0.5). */
  kappa?: number;
}

export interface EpochStats {
  epoch: number;
  /** Mean training loss over the epoch (weights changing as it goes; with IBP the mixed loss). */
  loss: number;
  trainAccuracy: number;
  valLoss?: number;
  valAccuracy?: number;
  /** With IBP: the radius reached and the fraction of training samples IBP proved at it. */
  ibpEps?: number;
  ibpVerified?: number;
  seconds: number;
}

export interface EvalResult { loss: number; accuracy: number; count: number }

/** Checks that the data fits the network: input size and label range. */
export function checkData(model: TrainableModel, data: Dataset): void {
  const n = size(data.shape);
  if (n !== model.inSize) throw new UserError(`${data.name}: images have ${n} values (shape [${data.shape}]) but ${model.net.name} takes ${model.inSize} (shape [${model.net.inputShape}])`);
  const classes = model.sigmoidHead ? 2 : model.outSize;
  if (data.classes > classes) throw new UserError(`${data.name}: ${data.classes} classes but ${model.net.name} has ${model.outSize} output(s)`);
}

function batchLoss(model: TrainableModel, labels: Uint8Array, B: number, withGrad: boolean): BatchLoss {
  const grad = withGrad ? model.outputGrad : null;
  return model.sigmoidHead
    ? binaryCrossEntropy(model.output, labels, B, grad)
    : softmaxCrossEntropy(model.output, labels, B, model.outSize, grad);
}

function loadBatch(model: TrainableModel, data: Dataset, idx: ArrayLike<number>, from: number, B: number, labels: Uint8Array): void {
  const n = model.inSize, input = model.input;
  for (let s = 0; s < B; s++) {
    const i = idx[from + s];
    const src = data.images.subarray(i * n, (i + 1) * n);
    for (let k = 0; k < n; k++) input[s * n + k] = src[k];
    labels[s] = data.labels[i];
  }
}

/** Fraction of (the first `limit`) images whose decision IBP proves constant within radius eps. */
export function intervalAccuracy(net: Network, data: Dataset, eps: number, opts: { batchSize?: number; limit?: number } = {}): number {
  const bs = opts.batchSize ?? 256;
  const model = new TrainableModel(net, bs);
  checkData(model, data);
  const interval = new IntervalModel(model);
  const count = Math.min(opts.limit ?? data.count, data.count);
  const labels = new Uint8Array(bs);
  const identity = Int32Array.from({ length: count }, (_, i) => i);
  let verified = 0;
  for (let from = 0; from < count; from += bs) {
    const B = Math.min(bs, count - from);
    loadBatch(model, data, identity, from, B, labels);
    interval.forward(B, eps);
    verified += interval.loss(labels, B, 0, model.sigmoidHead).verified;
  }
  return verified / count;
}

/** Mean loss and accuracy of the network on (the first `limit` images of) a data set. */
export function evaluate(net: Network, data: Dataset, opts: { batchSize?: number; limit?: number } = {}): EvalResult {
  const bs = opts.batchSize ?? 256;
  const model = new TrainableModel(net, bs);
  checkData(model, data);
  return evaluateModel(model, data, Math.min(opts.limit ?? data.count, data.count));
}

function evaluateModel(model: TrainableModel, data: Dataset, count: number): EvalResult {
  const bs = model.maxBatch;
  const labels = new Uint8Array(bs);
  const identity = new Int32Array(count);
  for (let i = 0; i < count; i++) identity[i] = i;
  let loss = 0, correct = 0;
  for (let from = 0; from < count; from += bs) {
    const B = Math.min(bs, count - from);
    loadBatch(model, data, identity, from, B, labels);
    model.forward(B);
    const r = batchLoss(model, labels, B, false);
    loss += r.loss; correct += r.correct;
  }
  return { loss: loss / count, accuracy: correct / count, count };
}

/** Trains `net` in place on `data` and returns the per-epoch statistics. */
export function train(net: Network, data: Dataset, opts: TrainOptions): EpochStats[] {
  const { epochs, batchSize, lr } = opts;
  if (!(Number.isInteger(epochs) && epochs >= 1)) throw new UserError(`epochs must be a positive integer, got ${epochs}`);
  if (!(Number.isInteger(batchSize) && batchSize >= 1)) throw new UserError(`batch size must be a positive integer, got ${batchSize}`);
  if (!(lr > 0 && Number.isFinite(lr))) throw new UserError(`learning rate must be a positive number, got ${lr}`);
  const model = new TrainableModel(net, batchSize);
  checkData(model, data);
  const count = Math.min(opts.limit ?? data.count, data.count);
  if (count < 1) throw new UserError(`${data.name}: no training images`);
  const ibp = opts.ibp;
  if (ibp && !(ibp.eps >= 0 && ibp.eps <= 1)) throw new UserError(`IBP radius must be in [0, 1], got ${ibp.eps}`);
  if (ibp && ibp.ramp !== undefined && !(ibp.ramp >= 0 && ibp.ramp <= 1)) throw new UserError(`IBP ramp must be a fraction in [0, 1], got ${ibp.ramp}`);
  if (ibp && ibp.kappa !== undefined && !(ibp.kappa >= 0 && ibp.kappa <= 1)) throw new UserError(`IBP weight kappa must be in [0, 1], got ${ibp.kappa}`);
  const interval = ibp ? new IntervalModel(model) : undefined;
  let evalModel: TrainableModel | undefined;
  if (opts.validation) { evalModel = new TrainableModel(net, 256); checkData(evalModel, opts.validation); }

  const rng = makeRng(opts.seed ^ 0x5eed);
  const order = new Int32Array(count);
  for (let i = 0; i < count; i++) order[i] = i;
  const labels = new Uint8Array(batchSize);
  const adam = new Adam(model.params());
  const grads = model.grads();
  const batches = Math.ceil(count / batchSize);
  const totalSteps = epochs * batches;
  let step = 0;
  const history: EpochStats[] = [];
  for (let epoch = 1; epoch <= epochs; epoch++) {
    const started = performance.now();
    shuffle(order, rng);
    let loss = 0, correct = 0, verified = 0, eps = 0;
    for (let b = 0; b < batches; b++) {
      const from = b * batchSize, B = Math.min(batchSize, count - from);
      loadBatch(model, data, order, from, B, labels);
      model.forward(B);
      const r = batchLoss(model, labels, B, true);
      let kappa = 0;
      if (ibp) {
        const ramp = ibp.ramp ?? 0.5;
        const t = ramp > 0 ? Math.min(1, step / (ramp * totalSteps)) : 1;
        eps = ibp.eps * t;
        kappa = (ibp.kappa ?? 0.5) * t;
        const g = model.outputGrad;
        for (let k = 0; k < B * model.outSize; k++) g[k] *= 1 - kappa;
      }
      model.zeroGrads();
      model.backward(B);
      let lossB = r.loss;
      if (interval && kappa > 0) {
        interval.forward(B, eps);
        const ir = interval.loss(labels, B, kappa, model.sigmoidHead);
        interval.backward(B);
        lossB = (1 - kappa) * r.loss + kappa * ir.loss;
        verified += ir.verified;
      }
      loss += lossB; correct += r.correct;
      const rate = opts.schedule === 'cosine' ? lr * 0.5 * (1 + Math.cos(Math.PI * step / totalSteps)) : lr;
      adam.step(grads, rate);
      step++;
      opts.onBatch?.(b + 1, batches);
    }
    const stats: EpochStats = { epoch, loss: loss / count, trainAccuracy: correct / count, seconds: 0 };
    if (ibp) { stats.ibpEps = eps; stats.ibpVerified = verified / count; }
    if (evalModel && opts.validation) {
      const v = evaluateModel(evalModel, opts.validation, opts.validation.count);
      stats.valLoss = v.loss; stats.valAccuracy = v.accuracy;
    }
    stats.seconds = (performance.now() - started) / 1000;
    history.push(stats);
    opts.onEpoch?.(stats);
  }
  return history;
}
