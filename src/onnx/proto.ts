// Thin helpers over the onnx-proto (protobufjs) classes: numbers out of Long, tensors
// out of raw_data / typed fields, attributes by name. Decoding itself is onnx-proto's.
import pkg from 'onnx-proto';
import type { onnx as OnnxTypes } from 'onnx-proto';
import { UserError } from '../errors.js';

export const { onnx } = pkg;
export type ModelProto = OnnxTypes.ModelProto;
export type GraphProto = OnnxTypes.IGraphProto;
export type NodeProto = OnnxTypes.INodeProto;
export type TensorProto = OnnxTypes.ITensorProto;
export type AttributeProto = OnnxTypes.IAttributeProto;

type LongLike = number | { toNumber(): number } | null | undefined;

/** A protobuf int64 (number or Long) as a JS number. */
export function num(x: LongLike): number {
  if (x == null) return 0;
  return typeof x === 'number' ? x : x.toNumber();
}

/** A constant tensor, values widened to float64 (int64 shape values fit exactly). */
export interface ConstTensor {
  dims: number[];
  data: Float64Array;
  /** Integer element type (shape arithmetic), as opposed to floating point. */
  int: boolean;
}

const DT = onnx.TensorProto.DataType;
export const FLOAT_TYPES = new Set<number>([DT.FLOAT, DT.DOUBLE, DT.FLOAT16, DT.BFLOAT16]);

function half(bits: number): number {
  const s = bits & 0x8000 ? -1 : 1;
  const e = (bits >> 10) & 0x1f;
  const f = bits & 0x3ff;
  if (e === 0) return s * f * 2 ** -24;
  if (e === 31) return f ? NaN : s * Infinity;
  return s * (1 + f / 1024) * 2 ** (e - 15);
}

/** Decodes an initializer / Constant tensor. `where` names it for messages. */
export function tensorValues(t: TensorProto, where: string): ConstTensor {
  const dims = (t.dims ?? []).map(num);
  // dims come straight from the file: check them before they size an allocation (a bit-flipped
  // dim of 2^40 would otherwise end in an internal RangeError instead of a message)
  const badDim = dims.find((d) => !Number.isSafeInteger(d) || d < 0);
  if (badDim !== undefined) throw new UserError(`${where}: dimension ${badDim} in dims [${dims}] is not a size`);
  const n = dims.reduce((a, b) => a * b, 1);
  const dt = t.dataType ?? 0;
  if (t.dataLocation === onnx.TensorProto.DataLocation.EXTERNAL || (t.externalData?.length ?? 0) > 0) {
    throw new UserError(`${where}: weights in external data files are not supported (save the model with the weights inside)`);
  }
  const raw = t.rawData && t.rawData.length ? t.rawData : null;
  // `out` is sized only once the file is known to hold exactly n values, so n is bounded by the file's size
  let out = new Float64Array(0);
  let got: number;
  if (raw) {
    const view = new DataView(raw.buffer, raw.byteOffset, raw.byteLength);
    const width: Record<number, number> = {
      [DT.FLOAT]: 4, [DT.DOUBLE]: 8, [DT.FLOAT16]: 2, [DT.BFLOAT16]: 2, [DT.INT64]: 8, [DT.UINT64]: 8,
      [DT.INT32]: 4, [DT.UINT32]: 4, [DT.INT16]: 2, [DT.UINT16]: 2, [DT.INT8]: 1, [DT.UINT8]: 1, [DT.BOOL]: 1,
    };
    const w = width[dt];
    if (!w) throw new UserError(`${where}: tensor data type ${DT[dt] ?? dt} is not supported`);
    got = raw.byteLength / w;
    if (got === n) {
      out = new Float64Array(n);
      for (let i = 0; i < n; i++) {
        const o = i * w;
        switch (dt) {
          case DT.FLOAT: out[i] = view.getFloat32(o, true); break;
          case DT.DOUBLE: out[i] = view.getFloat64(o, true); break;
          case DT.FLOAT16: out[i] = half(view.getUint16(o, true)); break;
          case DT.BFLOAT16: out[i] = new Float32Array(new Uint32Array([view.getUint16(o, true) << 16]).buffer)[0]; break;
          case DT.INT64: out[i] = Number(view.getBigInt64(o, true)); break;
          case DT.UINT64: out[i] = Number(view.getBigUint64(o, true)); break;
          case DT.INT32: out[i] = view.getInt32(o, true); break;
          case DT.UINT32: out[i] = view.getUint32(o, true); break;
          case DT.INT16: out[i] = view.getInt16(o, true); break;
          case DT.UINT16: out[i] = view.getUint16(o, true); break;
          case DT.INT8: out[i] = view.getInt8(o); break;
          default: out[i] = view.getUint8(o); break;
        }
      }
    }
  } else {
    let src: ArrayLike<LongLike>;
    switch (dt) {
      case DT.FLOAT: src = t.floatData ?? []; break;
      case DT.DOUBLE: src = t.doubleData ?? []; break;
      case DT.INT64: src = t.int64Data ?? []; break;
      case DT.UINT32: case DT.UINT64: src = t.uint64Data ?? []; break;
      case DT.INT32: case DT.INT16: case DT.INT8: case DT.UINT16: case DT.UINT8: case DT.BOOL: src = t.int32Data ?? []; break;
      case DT.FLOAT16: src = (t.int32Data ?? []).map((b) => half(num(b))); break;
      default: throw new UserError(`${where}: tensor data type ${DT[dt] ?? dt} is not supported`);
    }
    got = src.length;
    if (got === n) {
      out = new Float64Array(n);
      for (let i = 0; i < n; i++) out[i] = num(src[i]);
    }
  }
  if (got !== n) throw new UserError(`${where}: tensor has ${got} values but its dims [${dims}] need ${n}`);
  return { dims, data: out, int: !FLOAT_TYPES.has(dt) };
}

export function findAttr(node: NodeProto, name: string): AttributeProto | undefined {
  return (node.attribute ?? []).find((a) => a.name === name);
}

export function attrInt(node: NodeProto, name: string, dflt: number): number {
  const a = findAttr(node, name);
  return a ? num(a.i) : dflt;
}

export function attrFloat(node: NodeProto, name: string, dflt: number): number {
  const a = findAttr(node, name);
  return a ? (a.f ?? 0) : dflt;
}

export function attrInts(node: NodeProto, name: string): number[] | undefined {
  const a = findAttr(node, name);
  return a ? (a.ints ?? []).map(num) : undefined;
}

export function attrString(node: NodeProto, name: string, dflt: string): string {
  const a = findAttr(node, name);
  return a && a.s ? Buffer.from(a.s).toString('utf8') : dflt;
}
