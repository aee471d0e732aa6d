// Builds small ONNX files in tests with onnx-proto (the same encoder real tools' files
// decode with), so the importer can be fed exactly the feature under test.
import pkg from 'onnx-proto';
import type { onnx as OnnxTypes } from 'onnx-proto';
import { createRequire } from 'node:module';

const { onnx } = pkg;
const DT = onnx.TensorProto.DataType;
const AT = onnx.AttributeProto.AttributeType;

export interface Init {
  name: string;
  dims: number[];
  data: ArrayLike<number>;
  /** Element type (default float). */
  type?: 'float' | 'double' | 'int64';
  /** raw_data (default) or the typed float_data / double_data / int64_data field. */
  storage?: 'raw' | 'field';
}

export function tensor(t: Init): OnnxTypes.ITensorProto {
  const type = t.type ?? 'float';
  const dataType = { float: DT.FLOAT, double: DT.DOUBLE, int64: DT.INT64 }[type];
  const out: OnnxTypes.ITensorProto = { name: t.name, dims: t.dims, dataType };
  if ((t.storage ?? 'raw') === 'field') {
    if (type === 'float') out.floatData = Array.from(t.data);
    else if (type === 'double') out.doubleData = Array.from(t.data);
    else out.int64Data = Array.from(t.data);
    return out;
  }
  const width = type === 'float' ? 4 : 8;
  const raw = new Uint8Array(t.data.length * width);
  const view = new DataView(raw.buffer);
  for (let i = 0; i < t.data.length; i++) {
    if (type === 'float') view.setFloat32(i * 4, t.data[i], true);
    else if (type === 'double') view.setFloat64(i * 8, t.data[i], true);
    else view.setBigInt64(i * 8, BigInt(t.data[i]), true);
  }
  out.rawData = raw;
  return out;
}

/** Attribute values: integer → INT, { f } → FLOAT, number[] → INTS, string → STRING, { t } → TENSOR. */
export type AttrValue = number | number[] | string | { f: number } | { t: Init };

export function node(opType: string, input: string[], output: string[], attrs: Record<string, AttrValue> = {}, name = ''): OnnxTypes.INodeProto {
  const attribute = Object.entries(attrs).map(([k, v]): OnnxTypes.IAttributeProto => {
    if (typeof v === 'number') return { name: k, type: AT.INT, i: v };
    if (typeof v === 'string') return { name: k, type: AT.STRING, s: Buffer.from(v) };
    if (Array.isArray(v)) return { name: k, type: AT.INTS, ints: v };
    if ('f' in v) return { name: k, type: AT.FLOAT, f: v.f };
    return { name: k, type: AT.TENSOR, t: tensor(v.t) };
  });
  return { opType, input, output, attribute, name: name || `${opType}_${output[0]}` };
}

export interface ModelSpec {
  nodes: OnnxTypes.INodeProto[];
  inits?: Init[];
  input: { name: string; dims: (number | string)[] };
  output: string;
  opset?: number;
  /** Extra graph outputs (e.g. to make a tensor "used"). */
  extraOutputs?: string[];
}

export function model(spec: ModelSpec): Uint8Array {
  const info = (name: string, dims?: (number | string)[]) => ({
    name,
    type: { tensorType: { elemType: DT.FLOAT, shape: dims ? { dim: dims.map((d) => (typeof d === 'number' ? { dimValue: d } : { dimParam: d })) } : undefined } },
  });
  const m = onnx.ModelProto.create({
    irVersion: 8,
    producerName: 'veribound-test',
    opsetImport: [{ domain: '', version: spec.opset ?? 13 }],
    graph: {
      name: 'fixture',
      node: spec.nodes,
      initializer: (spec.inits ?? []).map(tensor),
      input: [info(spec.input.name, spec.input.dims)],
      output: [spec.output, ...(spec.extraOutputs ?? [])].map((o) => info(o)),
    },
  });
  return onnx.ModelProto.encode(m).finish();
}

/** Seeded uniform numbers in [-1, 1) (mulberry32). */
export function numbers(seed: number, n: number): number[] {
  let a = seed >>> 0;
  return Array.from({ length: n }, () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return (((t ^ (t >>> 14)) >>> 0) / 4294967296) * 2 - 1;
  });
}

// onnxruntime-node is CommonJS and a dev dependency: the independent reference in tests only.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export const ort: any = createRequire(import.meta.url)('onnxruntime-node');

/** Runs an ONNX model (bytes or path) on each sample of x (batch × n) with onnxruntime; returns batch × outputs. */
export async function runOrt(modelSrc: Uint8Array | string, x: Float64Array, batch: number): Promise<Float64Array> {
  const sess = await ort.InferenceSession.create(modelSrc);
  const inName: string = sess.inputNames[0];
  const n = x.length / batch;
  const meta = sess.inputMetadata?.[0];
  const dims: number[] = meta?.shape ? meta.shape.map((d: unknown) => (typeof d === 'number' ? d : 1)) : [1, n];
  const outs: number[] = [];
  for (let b = 0; b < batch; b++) {
    const feed = new ort.Tensor('float32', Float32Array.from(x.subarray(b * n, (b + 1) * n)), dims);
    const r = await sess.run({ [inName]: feed });
    outs.push(...(r[sess.outputNames[0]].data as Float32Array));
  }
  await sess.release?.();
  return Float64Array.from(outs);
}

export function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  if (a.length !== b.length) return Infinity;
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i] - b[i]));
  return Number.isNaN(m) ? Infinity : m;
}
