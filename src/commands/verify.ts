// `veribound verify`: one VNN-COMP instance (an ONNX network and a VNN-LIB property) through
// the cascade; the answer is the first line of stdout, stage lines go to stderr.
import { UserError } from '../errors.js';
import { parseOptions } from '../cli-args.js';
import { checkJsonOut, jsonDoc, printJson, writeJsonOut } from '../json-doc.js';
import { claimOutput } from '../output-lock.js';
import { parseBackend, selectEngine } from '../engine.js';
import { loadNetwork } from '../models.js';
import { readVnnlib } from '../spec/vnnlib.js';
import { checkPropertyFits, verifyProperty } from '../verify/cascade.js';
import { writeResultFile } from '../verify/result-file.js';
import { now } from '../clock.js';

export const summary = 'verify a VNN-LIB property of an ONNX network (attack, bounds, alpha-CROWN, MILP)';

export const usage = `
usage: veribound verify --net N.onnx --spec P.vnnlib [--timeout S] [--result FILE] [options]

  --net N.onnx        the network (or a bundled name)
  --spec P.vnnlib     the property (its unsafe set: sat = a counterexample exists)
  --timeout S         seconds for the whole instance, loading included (default 300)
  --result FILE       write the competition's result file: the answer, and for sat the
                      counterexample as ((X_0 v) ... (Y_0 v) ...)
  --backend B         bound engine: auto (default: a hardware GPU, else the CPU), gpu or cpu
  --seed N            attack seed (default 1)
  --json              one JSON document on stdout instead of the answer line: {"answer",
                      "decidedBy", "timeS", "stages": [{"stage", "timeS", "closed", "open",
                      "note"}], "counterexample": {"x", "y"} or null, "meta"}
  --out FILE.json     write that JSON document to a file (--summary before 0.2)

Prints sat, unsat, timeout or unknown on the first line of stdout (exit code 0); a sat
answer always carries a counterexample that was replayed on the network. Output paths are
checked (and claimed against a second run) before the work starts; Ctrl-C exits with 130.
`;

export async function run(argv: string[]): Promise<number> {
  const started = now();
  const { values } = parseOptions('verify', argv, {
    net: { type: 'string' },
    spec: { type: 'string' },
    timeout: { type: 'string', default: '300' },
    result: { type: 'string' },
    out: { type: 'string' },
    backend: { type: 'string', default: 'auto' },
    seed: { type: 'string', default: '1' },
    json: { type: 'boolean', default: false },
  }, { summary: 'out (the JSON document); the competition result file is --result' });
  if (!values.net) throw new UserError('verify: --net N.onnx is required');
  if (!values.spec) throw new UserError('verify: --spec P.vnnlib is required');
  const timeoutS = Number(values.timeout);
  if (!(timeoutS > 0) || !Number.isFinite(timeoutS)) throw new UserError(`verify: --timeout '${values.timeout}': expected a positive number of seconds`);
  const seed = Number(values.seed);
  if (!Number.isSafeInteger(seed)) throw new UserError(`verify: --seed '${values.seed}': expected an integer`);
  const backend = parseBackend(values.backend);
  checkJsonOut(values.out, 'the competition result file is --result FILE');
  if (values.result !== undefined) claimOutput(values.result, '--result');
  if (values.out !== undefined) claimOutput(values.out, '--out');

  const net = loadNetwork(values.net);
  const prop = readVnnlib(values.spec);
  checkPropertyFits(net, prop);
  const engine = await selectEngine(backend);
  let outcome;
  try {
    outcome = await verifyProperty(net, prop, { timeoutS, engine, startedAt: started, seed });
  } finally {
    await engine.dispose();
  }
  const { answer, decidedBy, timeS, stages, counterexample } = outcome;
  // the answer reaches stdout first: a file that fails to write at the end cannot take it away
  if (!values.json) process.stdout.write(`${answer}\n`);
  if (values.result !== undefined) writeResultFile(values.result, outcome.answer, outcome.counterexample);
  const doc = jsonDoc({ answer, decidedBy, timeS, stages, counterexample: counterexample ?? null, net: net.name, spec: values.spec }, { seed, engine: engine.describe() });
  writeJsonOut(values.out, doc);
  if (values.json) printJson(doc);
  process.stderr.write(`veribound: ${answer}${decidedBy ? ` (decided by ${decidedBy})` : ''} in ${timeS.toFixed(2)}s\n`);
  return 0;
}
