// ONNX → the internal network form (src/network.ts). onnx-proto decodes the file; the
// graph is walked in topological order, constant sub-graphs are evaluated on the way
// (shape arithmetic feeding a Reshape, Constant nodes), and each operator on the
// network's tensor becomes a layer (see ops-*.ts for the mapping).
import fs from 'node:fs';
import { INPUT, validateNetwork } from '../network.js';
import type { Network } from '../network.js';
import { UserError } from '../errors.js';
import { FLOAT_TYPES, num, onnx, tensorValues } from './proto.js';
import type { GraphProto, NodeProto } from './proto.js';
import { NetBuilder } from './builder.js';
import { checkDims, internalShape } from './values.js';
import type { Value } from './values.js';
import type { Ctx, Handler } from './context.js';
import { shapeOps } from './ops-shape.js';
import { linearOps } from './ops-linear.js';
import { miscOps } from './ops-misc.js';

const handlers: Record<string, Handler> = { ...shapeOps, ...linearOps, ...miscOps };

/** ONNX operator types the importer understands. */
export const SUPPORTED_OPS: readonly string[] = Object.keys(handlers).sort();

export function loadOnnxFile(path: string): Network {
  let bytes: Uint8Array;
  try {
    bytes = fs.readFileSync(path);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') throw new UserError(`${path}: no such file`);
    if (code === 'EISDIR') throw new UserError(`${path}: is a directory, not an ONNX file`);
    throw new UserError(`${path}: cannot read (${(e as Error).message})`);
  }
  return loadOnnxBytes(bytes, path);
}

export function loadOnnxBytes(bytes: Uint8Array, source: string): Network {
  if (bytes.length === 0) throw new UserError(`${source}: not an ONNX model (the file is empty)`);
  let model;
  try {
    model = onnx.ModelProto.decode(bytes);
  } catch (e) {
    throw new UserError(`${source}: not an ONNX model (protobuf decoding failed: ${(e as Error).message})`);
  }
  const g = model.graph;
  if (!g || !g.node?.length || !g.input?.length || !g.output?.length || g.node.some((n) => !n.opType)) {
    throw new UserError(`${source}: not an ONNX model (no graph with nodes, an input and an output)`);
  }
  const opsetEntry = (model.opsetImport ?? []).find((o) => !o.domain || o.domain === 'ai.onnx');
  const opset = opsetEntry ? num(opsetEntry.version) : 13;
  const warnings: string[] = [];
  if (opset < 7 || opset > 18) warnings.push(`${source} uses ONNX opset ${opset}; veribound is tested with opsets 8-17`);
  return importGraph(g, source, opset, warnings);
}

function inputDims(g: GraphProto, source: string): { name: string; dims: number[] } {
  const inits = new Set((g.initializer ?? []).map((t) => t.name));
  const inputs = (g.input ?? []).filter((i) => !inits.has(i.name));
  if (inputs.length !== 1) {
    throw new UserError(`${source}: the graph has ${inputs.length} inputs (${inputs.map((i) => i.name).join(', ')}); exactly one is supported`);
  }
  const inp = inputs[0];
  const name = inp.name ?? '';
  const tt = inp.type?.tensorType;
  if (!tt) throw new UserError(`${source}: input '${name}' is not a tensor`);
  if (tt.elemType != null && tt.elemType !== 0 && !FLOAT_TYPES.has(tt.elemType)) {
    throw new UserError(`${source}: input '${name}' has element type ${onnx.TensorProto.DataType[tt.elemType] ?? tt.elemType}; a float input is needed`);
  }
  const dimProtos = tt.shape?.dim;
  if (!dimProtos?.length) throw new UserError(`${source}: input '${name}' has no shape; a fixed shape like [1,784] is needed`);
  const dims = dimProtos.map((d, k) => {
    const v = num(d.dimValue);
    if (v > 0) return v;
    if (k === 0) return 1; // a symbolic batch dimension
    throw new UserError(`${source}: input '${name}' has no fixed size at axis ${k} ('${d.dimParam ?? '?'}'); a fixed shape is needed`);
  });
  checkDims(`${source}: input '${name}'`, dims, 'its');
  return { name, dims };
}

/** Nodes in an order where every input is produced before it is read. */
function topoSort(nodes: NodeProto[], known: Set<string>, source: string): NodeProto[] {
  const done = new Array<boolean>(nodes.length).fill(false);
  const out: NodeProto[] = [];
  let progress = true;
  while (out.length < nodes.length && progress) {
    progress = false;
    nodes.forEach((n, i) => {
      if (done[i] || !(n.input ?? []).every((x) => !x || known.has(x))) return;
      done[i] = true;
      out.push(n);
      for (const o of n.output ?? []) known.add(o);
      progress = true;
    });
  }
  const stuck = nodes.find((_, i) => !done[i]);
  if (stuck) {
    const missing = (stuck.input ?? []).find((x) => x && !known.has(x));
    throw new UserError(`${source}: node '${stuck.name || stuck.opType}' (${stuck.opType}) reads '${missing}', which nothing in the graph produces`);
  }
  return out;
}

function importGraph(g: GraphProto, source: string, opset: number, warnings: string[]): Network {
  const input = inputDims(g, source);
  const outputs = (g.output ?? []).map((o) => o.name ?? '');
  const uses = new Map<string, number>();
  const count = (t: string) => uses.set(t, (uses.get(t) ?? 0) + 1);
  for (const n of g.node ?? []) for (const t of n.input ?? []) if (t) count(t);
  for (const t of outputs) count(t);
  const usesOf = (t: string) => uses.get(t) ?? 0;

  const inputShape = internalShape(input.dims);
  const b = new NetBuilder(inputShape, usesOf);
  const values = new Map<string, Value>();
  for (const t of g.initializer ?? []) values.set(t.name ?? '', { t: 'const', ...tensorValues(t, `${source}: initializer '${t.name}'`) });
  values.set(input.name, { t: 'dyn', src: INPUT, dims: input.dims });

  const nodes = topoSort(g.node ?? [], new Set(values.keys()), source);
  for (const node of nodes) {
    const op = node.opType ?? '';
    const name = node.name || `${op}->${node.output?.[0] ?? '?'}`;
    const handler = node.domain && node.domain !== 'ai.onnx' ? undefined : handlers[op];
    if (!handler) {
      const dom = node.domain && node.domain !== 'ai.onnx' ? ` from domain '${node.domain}'` : '';
      throw new UserError(`${source}: unsupported operator '${op}'${dom} (node '${name}'); supported: ${SUPPORTED_OPS.join(', ')}`);
    }
    const ctx: Ctx = {
      b, node, name, op, opset,
      where: `${source}: node '${name}' (${op})`,
      out: (k = 0) => node.output?.[k] ?? '',
      uses: usesOf,
      onlyGraphOutput: (t) => usesOf(t) === 1 && outputs.includes(t),
      warn: (m) => warnings.push(m),
    };
    const ins = (node.input ?? []).map((t) => (t ? values.get(t) : undefined));
    const outs = handler(ctx, ins);
    outs.forEach((v, k) => {
      const t = node.output?.[k];
      // a network tensor's size sizes every later buffer (bounds, forward passes): check it once here
      if (v?.t === 'dyn') checkDims(ctx.where, v.dims, `output '${t}'`);
      if (v && t) values.set(t, v);
    });
  }

  if (outputs.length > 1) warnings.push(`${source} has ${outputs.length} outputs; only the first ('${outputs[0]}') is used`);
  const out = values.get(outputs[0]);
  if (!out) throw new UserError(`${source}: the output '${outputs[0]}' is not produced by any node`);
  if (out.t !== 'dyn') throw new UserError(`${source}: the output '${outputs[0]}' does not depend on the input`);
  const net: Network = { name: source, inputShape, layers: out.src === INPUT ? [] : b.finish(out.src), warnings };
  validateNetwork(net, source);
  return net;
}
