// The internal network form → ONNX (opset 13, float32 weights in raw_data), encoded by
// onnx-proto. One input "input" shaped [1, ...inputShape], one output "output"; every
// layer's tensor is [1, ...layer.shape], with Reshape nodes where an op's natural output
// is viewed differently. Files are written to a temporary name and renamed.
import fs from 'node:fs';
import path from 'node:path';
import { INPUT, outputShape } from '../network.js';
import type { Layer, Network } from '../network.js';
import { UserError } from '../errors.js';
import { onnx } from './proto.js';
import type { NodeProto, TensorProto } from './proto.js';

const OPSET = 13;

function floatTensor(name: string, dims: number[], data: ArrayLike<number>): TensorProto {
  const raw = new Uint8Array(data.length * 4);
  const view = new DataView(raw.buffer);
  for (let i = 0; i < data.length; i++) view.setFloat32(i * 4, data[i], true);
  return { name, dims, dataType: onnx.TensorProto.DataType.FLOAT, rawData: raw };
}

function int64Tensor(name: string, data: ArrayLike<number>): TensorProto {
  const raw = new Uint8Array(data.length * 8);
  const view = new DataView(raw.buffer);
  for (let i = 0; i < data.length; i++) view.setBigInt64(i * 8, BigInt(data[i]), true);
  return { name, dims: [data.length], dataType: onnx.TensorProto.DataType.INT64, rawData: raw };
}

function valueInfo(name: string, dims: number[]) {
  return { name, type: { tensorType: { elemType: onnx.TensorProto.DataType.FLOAT, shape: { dim: dims.map((d) => ({ dimValue: d })) } } } };
}

function ints(name: string, v: number[]) {
  return { name, type: onnx.AttributeProto.AttributeType.INTS, ints: v };
}

function int(name: string, v: number) {
  return { name, type: onnx.AttributeProto.AttributeType.INT, i: v };
}

const same = (a: readonly number[], b: readonly number[]) => a.length === b.length && a.every((d, i) => d === b[i]);

export function networkToOnnx(net: Network): Uint8Array {
  const nodes: NodeProto[] = [];
  const inits: TensorProto[] = [];
  const names = new Set<string>();
  const unique = (base: string) => {
    let n = base || 'node', k = 1;
    while (names.has(n)) n = `${base}_${k++}`;
    names.add(n);
    return n;
  };
  const last = net.layers.length - 1;
  const tensorOf = (src: number) => (src === INPUT ? 'input' : src === last ? 'output' : `t${src}`);
  const dimsOf = (src: number): number[] => [1, ...(src === INPUT ? net.inputShape : net.layers[src].shape)];
  const node = (opType: string, input: string[], output: string, name: string, attribute: object[] = []) => {
    nodes.push({ opType, input, output: [output], name: names.has(name) ? unique(name) : (names.add(name), name), attribute } as NodeProto);
  };
  const reshape = (x: string, dims: number[], out: string, name: string) => {
    const nodeName = unique(`${name}/reshape`);
    inits.push(int64Tensor(`${nodeName}/shape`, dims));
    node('Reshape', [x, `${nodeName}/shape`], out, nodeName);
  };

  net.layers.forEach((layer, i) => {
    const x = tensorOf(layer.inputs[0]);
    const inDims = dimsOf(layer.inputs[0]);
    const out = tensorOf(i);
    const want = [1, ...layer.shape];
    const name = layer.name || `layer${i}`;
    const p = `l${i}`; // prefix of this layer's initializers
    const natural = emit(layer, x, inDims, `${p}/y`, name);
    if (same(natural, want)) renameLastOutput(`${p}/y`, out);
    else reshape(`${p}/y`, want, out, name);
  });

  /** Emits the layer's nodes writing `y`; returns the dims they produce. */
  function emit(layer: Layer, x: string, inDims: number[], y: string, name: string): number[] {
    const op = layer.op;
    const p = y.slice(0, -2);
    switch (op.kind) {
      case 'dense': {
        let flat = x;
        if (inDims.length !== 2) { flat = `${p}/flat`; node('Flatten', [x], flat, `${name}/flatten`, [int('axis', 1)]); }
        inits.push(floatTensor(`${p}/W`, [op.outFeatures, op.inFeatures], op.weight), floatTensor(`${p}/b`, [op.outFeatures], op.bias));
        node('Gemm', [flat, `${p}/W`, `${p}/b`], y, name, [int('transB', 1)]);
        return [1, op.outFeatures];
      }
      case 'conv2d': {
        const [kh, kw] = op.kernel;
        inits.push(floatTensor(`${p}/W`, [op.outChannels, op.inChannels, kh, kw], op.weight), floatTensor(`${p}/b`, [op.outChannels], op.bias));
        node('Conv', [x, `${p}/W`, `${p}/b`], y, name, [ints('kernel_shape', op.kernel), ints('strides', op.stride), ints('pads', op.pads), ints('dilations', [1, 1]), int('group', 1)]);
        return [1, ...layer.shape];
      }
      case 'maxpool2d':
        node('MaxPool', [x], y, name, [ints('kernel_shape', op.kernel), ints('strides', op.stride), ints('pads', op.pads)]);
        return [1, ...layer.shape];
      case 'avgpool2d':
        node('AveragePool', [x], y, name, [ints('kernel_shape', op.kernel), ints('strides', op.stride), ints('pads', op.pads), int('count_include_pad', op.countIncludePad ? 1 : 0)]);
        return [1, ...layer.shape];
      case 'pad': {
        const [t, l, b, r] = op.pads;
        inits.push(int64Tensor(`${p}/pads`, [0, 0, t, l, 0, 0, b, r]));
        node('Pad', [x, `${p}/pads`], y, name, [{ name: 'mode', type: onnx.AttributeProto.AttributeType.STRING, s: Buffer.from('constant') }]);
        return [1, ...layer.shape];
      }
      case 'relu':
      case 'sigmoid':
        node(op.kind === 'relu' ? 'Relu' : 'Sigmoid', [x], y, name);
        return inDims;
      case 'affine':
        inits.push(floatTensor(`${p}/scale`, inDims, op.scale), floatTensor(`${p}/shift`, inDims, op.shift));
        node('Mul', [x, `${p}/scale`], `${p}/scaled`, `${name}/mul`);
        node('Add', [`${p}/scaled`, `${p}/shift`], y, name);
        return inDims;
      case 'permute': {
        const n = op.perm.length;
        reshape(x, [1, n], `${p}/flat`, name);
        inits.push(int64Tensor(`${p}/perm`, op.perm));
        node('Gather', [`${p}/flat`, `${p}/perm`], y, name, [int('axis', 1)]);
        return [1, n];
      }
      case 'reshape':
        node('Identity', [x], y, name);
        return inDims;
      case 'add': {
        let other = tensorOf(layer.inputs[1]);
        if (!same(dimsOf(layer.inputs[1]), inDims)) { reshape(other, inDims, `${p}/other`, name); other = `${p}/other`; }
        node('Add', [x, other], y, name);
        return inDims;
      }
    }
  }

  function renameLastOutput(from: string, to: string) {
    const n = nodes[nodes.length - 1];
    if (n.output?.[0] === from) n.output[0] = to;
  }

  const model = onnx.ModelProto.create({
    irVersion: 7,
    producerName: 'veribound',
    opsetImport: [{ domain: '', version: OPSET }],
    graph: {
      name: net.name ? path.basename(net.name) : 'veribound',
      node: nodes,
      initializer: inits,
      input: [valueInfo('input', [1, ...net.inputShape])],
      output: [valueInfo('output', [1, ...outputShape(net)])],
    },
  });
  return onnx.ModelProto.encode(model).finish();
}

/** Writes the network as ONNX; a temporary file is renamed into place, so nothing half-written is left. */
export function saveOnnx(net: Network, file: string): void {
  const bytes = networkToOnnx(net);
  const tmp = `${file}.tmp-${process.pid}`;
  try {
    fs.writeFileSync(tmp, bytes);
    fs.renameSync(tmp, file);
  } catch (e) {
    fs.rmSync(tmp, { force: true });
    throw new UserError(`${file}: cannot write (${(e as Error).message})`);
  }
}
