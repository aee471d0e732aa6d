// The one internal form of a network that every engine reads (CPU bounds, WebGPU
// kernels, MILP encoder, forward pass, training, ONNX export).
//
// A network is a list of layers in topological order. Each layer names the layers
// it reads by index (INPUT = the network's input), so residual adds fit; the common
// case is a chain where layer i reads layer i-1. Every tensor is a flat vector of
// `size(shape)` numbers in row-major order; shapes exclude the batch dimension and
// images are CHW. Weights are float64: the CPU engine is the float64 reference and
// the GPU engine rounds them (outward where soundness needs it) when it uploads them.

import { UserError } from './errors.js';

export type Shape = readonly number[];

/** Index meaning "the network's input" in Layer.inputs. */
export const INPUT = -1;

/** y = W x + b. weight is [out][in] row-major. */
export interface DenseOp {
  kind: 'dense';
  inFeatures: number;
  outFeatures: number;
  weight: Float64Array;
  bias: Float64Array;
}

/** 2-D convolution on CHW, dilation 1, groups 1. weight is [outC][inC][kh][kw]. Padding is zeros. */
export interface Conv2dOp {
  kind: 'conv2d';
  inChannels: number;
  outChannels: number;
  kernel: [number, number];
  stride: [number, number];
  /** [top, left, bottom, right] */
  pads: [number, number, number, number];
  weight: Float64Array;
  bias: Float64Array;
}

export interface ReluOp { kind: 'relu' }
export interface SigmoidOp { kind: 'sigmoid' }

/** Max pooling on CHW; padded positions never win (they are -infinity). */
export interface MaxPool2dOp {
  kind: 'maxpool2d';
  kernel: [number, number];
  stride: [number, number];
  pads: [number, number, number, number];
}

/** Average pooling on CHW; padded positions count as zeros when countIncludePad, else are left out. */
export interface AvgPool2dOp {
  kind: 'avgpool2d';
  kernel: [number, number];
  stride: [number, number];
  pads: [number, number, number, number];
  countIncludePad: boolean;
}

/** Zero padding of the H and W axes of a CHW tensor: [top, left, bottom, right]. */
export interface PadOp {
  kind: 'pad';
  pads: [number, number, number, number];
}

/** Element-wise y = x * scale + shift (constant normalisation: Sub/Div/Mul/Add folded). Both have size(input). */
export interface AffineOp {
  kind: 'affine';
  scale: Float64Array;
  shift: Float64Array;
}

/** Pure data movement: y[i] = x[perm[i]] (ONNX Transpose, e.g. NHWC nets' flatten order). */
export interface PermuteOp {
  kind: 'permute';
  perm: Int32Array;
}

/** Same data, new shape (Flatten, Reshape, Identity). */
export interface ReshapeOp { kind: 'reshape' }

/** Element-wise sum of the two inputs (residual connections). */
export interface AddOp { kind: 'add' }

export type Op =
  | DenseOp
  | Conv2dOp
  | ReluOp
  | SigmoidOp
  | MaxPool2dOp
  | AvgPool2dOp
  | PadOp
  | AffineOp
  | PermuteOp
  | ReshapeOp
  | AddOp;

export type OpKind = Op['kind'];

export interface Layer {
  /** Name of the ONNX node (or a made-up one), for messages. */
  name: string;
  op: Op;
  /** Indices of earlier layers (or INPUT) this layer reads; one for all ops but add. */
  inputs: number[];
  /** Output shape, without the batch dimension. */
  shape: Shape;
}

export interface Network {
  /** Where it came from (a path or a bundled name), for messages and reports. */
  name: string;
  inputShape: Shape;
  layers: Layer[];
  /** Notes made while loading (e.g. "dropped the output Softmax"). */
  warnings: string[];
}

export function size(shape: Shape): number {
  let n = 1;
  for (const d of shape) n *= d;
  return n;
}

export function inputSize(net: Network): number {
  return size(net.inputShape);
}

export function outputShape(net: Network): Shape {
  return net.layers.length ? net.layers[net.layers.length - 1].shape : net.inputShape;
}

export function outputSize(net: Network): number {
  return size(outputShape(net));
}

/** Shape of what layer `i` reads (its first input). */
export function layerInputShape(net: Network, i: number): Shape {
  const src = net.layers[i].inputs[0];
  return src === INPUT ? net.inputShape : net.layers[src].shape;
}

/** True when every layer reads only the one before it. */
export function isSequential(net: Network): boolean {
  return net.layers.every((l, i) => l.inputs.length === 1 && l.inputs[0] === i - 1);
}

/** Number of weights and biases. */
export function parameterCount(net: Network): number {
  let n = 0;
  for (const { op } of net.layers) {
    if (op.kind === 'dense' || op.kind === 'conv2d') n += op.weight.length + op.bias.length;
  }
  return n;
}

/** Output spatial size of a pooling/conv window along one axis. */
export function windowOut(inSize: number, kernel: number, stride: number, padBefore: number, padAfter: number): number {
  return Math.floor((inSize + padBefore + padAfter - kernel) / stride) + 1;
}

/**
 * The output shape an op gives for an input shape, or an error message when they do
 * not fit. The single place where shape rules live.
 */
export function inferShape(op: Op, input: Shape): Shape | string {
  const n = size(input);
  switch (op.kind) {
    case 'dense':
      if (n !== op.inFeatures) return `dense expects ${op.inFeatures} inputs, got shape [${input}] (${n})`;
      if (op.weight.length !== op.inFeatures * op.outFeatures) return `dense weight has ${op.weight.length} values, expected ${op.outFeatures}x${op.inFeatures}`;
      if (op.bias.length !== op.outFeatures) return `dense bias has ${op.bias.length} values, expected ${op.outFeatures}`;
      return [op.outFeatures];
    case 'conv2d':
    case 'maxpool2d':
    case 'avgpool2d': {
      if (input.length !== 3) return `${op.kind} expects a CHW input, got shape [${input}]`;
      const [c, h, w] = input;
      const [kh, kw] = op.kernel;
      const [sh, sw] = op.stride;
      const [pt, pl, pb, pr] = op.pads;
      const oh = windowOut(h, kh, sh, pt, pb);
      const ow = windowOut(w, kw, sw, pl, pr);
      if (oh < 1 || ow < 1) return `${op.kind} kernel ${kh}x${kw} does not fit input [${input}] with pads [${op.pads}]`;
      if (op.kind === 'conv2d') {
        if (c !== op.inChannels) return `conv2d expects ${op.inChannels} channels, got shape [${input}]`;
        if (op.weight.length !== op.outChannels * op.inChannels * kh * kw) return `conv2d weight has ${op.weight.length} values, expected ${op.outChannels}x${op.inChannels}x${kh}x${kw}`;
        if (op.bias.length !== op.outChannels) return `conv2d bias has ${op.bias.length} values, expected ${op.outChannels}`;
        return [op.outChannels, oh, ow];
      }
      return [c, oh, ow];
    }
    case 'pad': {
      if (input.length !== 3) return `pad expects a CHW input, got shape [${input}]`;
      const [c, h, w] = input;
      const [pt, pl, pb, pr] = op.pads;
      return [c, h + pt + pb, w + pl + pr];
    }
    case 'affine':
      if (op.scale.length !== n || op.shift.length !== n) return `affine has ${op.scale.length}/${op.shift.length} coefficients for an input of ${n}`;
      return input;
    case 'permute':
      if (op.perm.length !== n) return `permute has ${op.perm.length} indices for an input of ${n}`;
      return input; // the layer's own shape field says how the result is viewed
    case 'relu':
    case 'sigmoid':
    case 'reshape':
    case 'add':
      return input;
  }
}

/**
 * Checks that shapes chain, that indices point backwards, and that every weight is
 * finite. Throws a UserError naming the layer; `source` names the file for messages.
 */
export function validateNetwork(net: Network, source = net.name): void {
  if (net.layers.length === 0) throw new UserError(`${source}: the network has no layers`);
  net.layers.forEach((layer, i) => {
    const where = `${source}: layer ${i} '${layer.name}' (${layer.op.kind})`;
    const arity = layer.op.kind === 'add' ? 2 : 1;
    if (layer.inputs.length !== arity) throw new UserError(`${where}: expects ${arity} input(s), has ${layer.inputs.length}`);
    for (const src of layer.inputs) {
      if (src !== INPUT && !(src >= 0 && src < i)) throw new UserError(`${where}: reads layer ${src}, which does not come before it`);
    }
    const inShape = layerInputShape(net, i);
    if (layer.op.kind === 'add') {
      const other = layer.inputs[1] === INPUT ? net.inputShape : net.layers[layer.inputs[1]].shape;
      if (size(other) !== size(inShape)) throw new UserError(`${where}: adds shapes [${inShape}] and [${other}]`);
    }
    const inferred = inferShape(layer.op, inShape);
    if (typeof inferred === 'string') throw new UserError(`${where}: ${inferred}`);
    if (size(inferred) !== size(layer.shape)) throw new UserError(`${where}: shape [${layer.shape}] does not fit the op's output [${inferred}]`);
    for (const [field, arr] of weightArrays(layer.op)) {
      for (let k = 0; k < arr.length; k++) {
        if (!Number.isFinite(arr[k])) throw new UserError(`${where}: ${field}[${k}] is ${arr[k]} (weights must be finite)`);
      }
    }
  });
}

function weightArrays(op: Op): [string, Float64Array][] {
  switch (op.kind) {
    case 'dense':
    case 'conv2d':
      return [['weight', op.weight], ['bias', op.bias]];
    case 'affine':
      return [['scale', op.scale], ['shift', op.shift]];
    default:
      return [];
  }
}

/** Appends a layer that reads the last one (or the input) and infers its shape. */
export function appendLayer(net: Network, op: Op, name = `${op.kind}_${net.layers.length}`, shape?: Shape): Layer {
  const i = net.layers.length;
  const src = i - 1;
  const inShape = src < 0 ? net.inputShape : net.layers[src].shape;
  const inferred = inferShape(op, inShape);
  if (typeof inferred === 'string') throw new UserError(`${net.name}: layer ${i} '${name}': ${inferred}`);
  const layer: Layer = { name, op, inputs: [src < 0 ? INPUT : src], shape: shape ?? inferred };
  net.layers.push(layer);
  return layer;
}

/** A one-line description of each layer, for `info` and reports. */
export function describeLayer(layer: Layer): string {
  const { op } = layer;
  switch (op.kind) {
    case 'dense': return `Dense ${op.inFeatures}->${op.outFeatures}`;
    case 'conv2d': return `Conv2d ${op.inChannels}->${op.outChannels} k${op.kernel.join('x')} s${op.stride.join('x')} p[${op.pads}]`;
    case 'maxpool2d': return `MaxPool2d k${op.kernel.join('x')} s${op.stride.join('x')} p[${op.pads}]`;
    case 'avgpool2d': return `AvgPool2d k${op.kernel.join('x')} s${op.stride.join('x')} p[${op.pads}]`;
    case 'pad': return `Pad [${op.pads}]`;
    case 'affine': return 'Affine (normalisation)';
    case 'permute': return 'Permute';
    case 'reshape': return 'Reshape';
    case 'relu': return 'ReLU';
    case 'sigmoid': return 'Sigmoid';
    case 'add': return `Add (layers ${layer.inputs.join(', ')})`;
  }
}

/**
 * The network a classifier's robustness is judged on: a trailing Sigmoid is monotone, so
 * it changes no decision and margins are taken on the logit before it (for one output the
 * decision is logit > 0). Returns the same network when there is nothing to drop.
 */
export function logitNetwork(net: Network): Network {
  const last = net.layers[net.layers.length - 1];
  if (!last || last.op.kind !== 'sigmoid' || net.layers.length < 2) return net;
  return { ...net, layers: net.layers.slice(0, -1) };
}
