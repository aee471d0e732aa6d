// The labelled inputs `bounds` and `sweep` work on: the first N images of a dataset's test
// split, or a JSON file {"inputs": [[...]], "labels": [...]}. Checked against the network
// (input length, label range) so that a mismatch is one clear line, not a wrong answer.
import fs from 'node:fs';
import type { Network } from '../network.js';
import { inputSize, outputSize } from '../network.js';
import type { Dataset } from '../data/dataset.js';
import { UserError } from '../errors.js';

export interface LabelledInputs {
  /** Where they came from, for reports ("mnist-test", a file path). */
  source: string;
  count: number;
  /** count × size values in [0, 1]. */
  inputs: Float64Array;
  labels: Int32Array;
  /** Index of each input in its source (image number or position in the file). */
  indices: number[];
}

/** Number of classes a network's output encodes (one output = a binary logit). */
export function classCount(net: Network): number {
  const out = outputSize(net);
  return out === 1 ? 2 : out;
}

function checkLabel(label: number, classes: number, where: string): void {
  if (!Number.isInteger(label) || label < 0 || label >= classes) {
    throw new UserError(`${where}: label ${label} is out of range (the network has ${classes} classes: 0..${classes - 1})`);
  }
}

/** The first `samples` inputs of a dataset. */
export function inputsFromDataset(ds: Dataset, samples: number, net: Network): LabelledInputs {
  if (samples > ds.count) throw new UserError(`--samples ${samples}: ${ds.name} has only ${ds.count} images`);
  const n = ds.images.length / ds.count;
  if (n !== inputSize(net)) {
    throw new UserError(`${ds.name}: images have ${n} values ([${ds.shape}]) but ${net.name} takes ${inputSize(net)} ([${net.inputShape}])`);
  }
  const classes = classCount(net);
  const labels = new Int32Array(samples);
  for (let i = 0; i < samples; i++) {
    labels[i] = ds.labels[i];
    checkLabel(labels[i], classes, `${ds.name} image ${i}`);
  }
  return {
    source: ds.name,
    count: samples,
    inputs: Float64Array.from(ds.images.subarray(0, samples * n)),
    labels,
    indices: Array.from({ length: samples }, (_, i) => i),
  };
}

/** Reads {"inputs": [[...]], "labels": [...]}; every input must have inputSize(net) values in [0, 1]. */
export function readInputsFile(file: string, net: Network): LabelledInputs {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (err) {
    throw new UserError(`--inputs ${file}: cannot read it (${(err as NodeJS.ErrnoException).code ?? String(err)})`);
  }
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch (err) {
    throw new UserError(`--inputs ${file}: not valid JSON (${(err as Error).message})`);
  }
  const { inputs, labels } = (doc ?? {}) as { inputs?: unknown; labels?: unknown };
  if (!Array.isArray(inputs)) throw new UserError(`--inputs ${file}: expected {"inputs": [[...], ...], "labels": [...]}; "inputs" is missing or not an array`);
  if (!Array.isArray(labels)) throw new UserError(`--inputs ${file}: "labels" is missing or not an array`);
  if (inputs.length === 0) throw new UserError(`--inputs ${file}: "inputs" is empty`);
  if (labels.length !== inputs.length) throw new UserError(`--inputs ${file}: ${inputs.length} inputs but ${labels.length} labels`);
  const size = inputSize(net);
  const classes = classCount(net);
  const flat = new Float64Array(inputs.length * size);
  inputs.forEach((row: unknown, i) => {
    if (!Array.isArray(row)) throw new UserError(`--inputs ${file}: input ${i} is not an array`);
    if (row.length !== size) throw new UserError(`--inputs ${file}: input ${i} has ${row.length} values but ${net.name} takes ${size} ([${net.inputShape}])`);
    row.forEach((v: unknown, k) => {
      if (typeof v !== 'number' || !Number.isFinite(v)) throw new UserError(`--inputs ${file}: input ${i} value ${k} is ${JSON.stringify(v)}, not a finite number`);
      if (v < 0 || v > 1) throw new UserError(`--inputs ${file}: input ${i} value ${k} is ${v}, outside the input domain [0, 1]`);
      flat[i * size + k] = v;
    });
  });
  const lab = new Int32Array(labels.length);
  labels.forEach((l: unknown, i) => {
    if (typeof l !== 'number') throw new UserError(`--inputs ${file}: label ${i} is ${JSON.stringify(l)}, not a number`);
    checkLabel(l, classes, `--inputs ${file}: input ${i}`);
    lab[i] = l;
  });
  return { source: file, count: inputs.length, inputs: flat, labels: lab, indices: Array.from({ length: inputs.length }, (_, i) => i) };
}
