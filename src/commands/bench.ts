// `veribound bench`: bound throughput of a network on this machine, so that two machines or two
// backends are compared with one command: boxes (= (input, ε) pairs) per second, the adapter or
// the CPU threads, the floating-point work one box needs and the rate achieved; a table or JSON.
// The measuring itself is src/bench/throughput.ts, shared with the repository's bench/.
import os from 'node:os';
import { UserError } from '../errors.js';
import { selectEngine } from '../engine.js';
import type { BoundEngine } from '../bounds/types.js';
import { inputSize, logitNetwork } from '../network.js';
import { loadNetwork } from '../models.js';
import { loadDataset } from '../data/load.js';
import { dataSpecFor } from '../data/for-network.js';
import { datasetShapeFor, parseMethods } from '../sweep/setup.js';
import { predict } from '../sweep/classify.js';
import { parseCount } from '../sweep/eps.js';
import { epsBoxes, measure } from '../bench/throughput.js';
import type { Throughput } from '../bench/throughput.js';
import { parseOptions } from '../cli-args.js';
import { checkJsonOut, jsonDoc, printJson, writeJsonOut } from '../json-doc.js';
import { claimOutput } from '../output-lock.js';

export const summary = 'bound throughput on this machine: boxes/s, FLOPs per box, GFLOP/s (CPU, GPU)';

export const usage = `
usage: veribound bench [--net PATH|NAME] [--backend cpu,gpu] [--method ibp,crown] [--boxes 1000]

  --net PATH|NAME     ONNX file or bundled network (default mnist-mlp)
  --backend LIST      cpu, gpu or both, e.g. cpu,gpu (default: cpu, and the GPU when a hardware
                      one exists; gpu takes any adapter, the slow software one too, and is skipped
                      with one line when there is none)
  --method LIST       ibp, crown or both (default ibp,crown)
  --boxes LIST        box counts to time, e.g. 1000,100000 (default 1000): test images of the
                      network's dataset x 10 epsilons in [0.01, 0.1] (a box is one (input, eps)
                      pair); networks no dataset fits get seeded random inputs in [0, 1]
  --data SPEC         the dataset (default: as every command picks it for the network)
  --seed N            seed of the random inputs (default 1)
  --json              one JSON document on stdout: {"net", "inputs", "cpuThreads", "rows":
                      [{"backend", "engine", "method", "boxes", "seconds", "boxesPerSecond",
                      "pairsPerSecond", "flopsPerBox", "gflopsPerSecond", "verified"}], "meta"}
  --out FILE.json     write that JSON document to a file

Each row is one timed engine call after a one-box warm-up (compile, upload). FLOPs per box:
the interval passes, plus for CROWN the backward multiply-adds the GPU engine counts (on a
CPU-only run CROWN's FLOPs are not known and shown as -). Timings depend on the machine's load.
`;

const EPS = Array.from({ length: 10 }, (_, i) => Number((0.01 * (i + 1)).toFixed(2)));

export async function run(argv: string[]): Promise<number> {
  const { values } = parseOptions('bench', argv, {
    net: { type: 'string', default: 'mnist-mlp' },
    backend: { type: 'string' },
    method: { type: 'string', default: 'ibp,crown' },
    boxes: { type: 'string', default: '1000' },
    data: { type: 'string' },
    seed: { type: 'string', default: '1' },
    json: { type: 'boolean', default: false },
    out: { type: 'string' },
  });
  const methods = parseMethods(values.method);
  const backends = values.backend === undefined ? ['cpu', 'auto'] : [...new Set(values.backend.split(',').map((b) => b.trim()))];
  for (const b of backends) if (!['cpu', 'gpu', 'auto'].includes(b)) throw new UserError(`--backend '${b}': expected cpu or gpu (a comma list)`);
  const counts = values.boxes.split(',').map((c) => parseCount(c, '--boxes'));
  if (Math.max(...counts) > 10_000_000) throw new UserError(`--boxes ${Math.max(...counts)}: at most 10000000 boxes`);
  const seed = parseCount(values.seed, '--seed', 0);
  checkJsonOut(values.out, 'the table is what stdout shows without --json');
  if (values.out !== undefined) claimOutput(values.out, '--out');

  const net = logitNetwork(loadNetwork(values.net));
  const n = inputSize(net);
  const images = Math.ceil(Math.max(...counts) / EPS.length);
  if (images * EPS.length * n > 2 ** 31) throw new UserError(`--boxes ${Math.max(...counts)}: ${images * EPS.length} boxes of ${n} inputs do not fit in memory`);
  const { inputs, labels, source } = benchInputs(net, values.data, images, seed);
  const { boxes, labels: boxLabels } = epsBoxes(inputs, labels, n, EPS);

  const say = (line: string) => (values.json ? process.stderr : process.stdout).write(`${line}\n`);
  const engines: { backend: string; engine: BoundEngine }[] = [];
  for (const b of backends) {
    try {
      const engine = await selectEngine(b === 'gpu' ? 'gpu' : b === 'auto' ? 'auto' : 'cpu', { log: () => {} });
      // auto (the default's second engine): only a hardware GPU, the CPU is already there
      if (b === 'auto' && engine.backend === 'cpu' && backends.includes('cpu')) await engine.dispose();
      else engines.push({ backend: b, engine });
    } catch (err) {
      if (!(err instanceof UserError) || backends.length === 1) throw err;
      process.stderr.write(`veribound: bench: gpu skipped (${err.message.replace(/^--backend gpu: /, '')})\n`);
    }
  }
  const rows: (Throughput & { backend: string; engine: string; method: string; pairsPerSecond: number })[] = [];
  try {
    say(`${net.name} (${n} input values), ${source} x ${EPS.length} epsilons; CPU: ${os.cpus().length} cores`);
    for (const { backend, engine } of engines) say(`${backend}: ${engine.describe()}`);
    say(`${'backend'.padEnd(7)}  ${'method'.padEnd(6)}  ${'boxes'.padStart(8)}  ${'seconds'.padStart(8)}  ${'boxes/s'.padStart(10)}  ${'MFLOP/box'.padStart(9)}  ${'GFLOP/s'.padStart(8)}  verified`);
    const macs = new Map<string, number>();
    // GPU first, so that its backward multiply-add count fills the CPU rows' FLOPs
    const ordered = [...engines].sort((a, b) => Number(b.engine.backend === 'gpu') - Number(a.engine.backend === 'gpu'));
    for (const method of methods) {
      for (const count of counts) {
        for (const { engine } of ordered) {
          const key = `${method}|${count}`;
          const t = await measure(engine, net, boxes, boxLabels, method, count, macs.get(key));
          if (t.backwardMacs !== undefined) macs.set(key, t.backwardMacs);
          const { backwardMacs: _m, ...shown } = t;
          rows.push({ backend: engine.backend, engine: engine.describe(), method, ...shown, pairsPerSecond: t.boxesPerSecond });
          const mflop = t.flopsPerBox === null ? '-' : (t.flopsPerBox / 1e6).toFixed(2);
          const gflops = t.gflopsPerSecond === null ? '-' : t.gflopsPerSecond.toFixed(2);
          say(`${engine.backend.padEnd(7)}  ${method.padEnd(6)}  ${String(count).padStart(8)}  ${t.seconds.toFixed(3).padStart(8)}  ${t.boxesPerSecond.toFixed(1).padStart(10)}  ${mflop.padStart(9)}  ${gflops.padStart(8)}  ${t.verified}`);
        }
      }
    }
  } finally {
    for (const { engine } of engines) await engine.dispose();
  }
  const doc = jsonDoc({ net: net.name, inputs: source, eps: EPS, cpuCores: os.cpus().length, loadavg: os.loadavg(), engines: engines.map((e) => e.engine.describe()), rows }, { seed, engine: engines.map((e) => e.engine.describe()).join('; ') });
  writeJsonOut(values.out, doc);
  if (values.json) printJson(doc);
  return 0;
}

/** `count` inputs: the network's dataset when one fits, else seeded uniform inputs (labelled by the network). */
function benchInputs(net: ReturnType<typeof logitNetwork>, data: string | undefined, count: number, seed: number): { inputs: Float64Array; labels: number[]; source: string } {
  const n = inputSize(net);
  const spec = dataSpecFor(net, data);
  if (spec !== undefined) {
    try {
      const ds = loadDataset(spec, { split: 'test', ...datasetShapeFor(spec, net) });
      if (ds.images.length / ds.count === n) {
        const inputs = new Float64Array(count * n);
        const labels: number[] = [];
        for (let i = 0; i < count; i++) {
          const k = i % ds.count;
          inputs.set(ds.images.subarray(k * n, (k + 1) * n), i * n);
          labels.push(ds.labels[k]);
        }
        return { inputs, labels, source: `${Math.min(count, ds.count)} ${ds.name} images` };
      }
    } catch (err) {
      if (data !== undefined || !(err instanceof UserError)) throw err; // a --data the user gave must work
    }
  }
  if (data !== undefined) throw new UserError(`--data ${data}: its images do not fit ${net.name} (${n} inputs)`);
  let a = seed >>> 0;
  const rng = () => { // mulberry32
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const inputs = Float64Array.from({ length: count * n }, rng);
  return { inputs, labels: Array.from(predict(net, inputs, count).predicted), source: `${count} random inputs (seed ${seed})` };
}
