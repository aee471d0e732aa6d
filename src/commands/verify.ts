// `veribound verify`: one VNN-COMP instance (an ONNX network and a VNN-LIB property) through
// the cascade; the answer is the first line of stdout, stage lines go to stderr.
import fs from 'node:fs';
import { parseArgs } from 'node:util';
import { UserError } from '../errors.js';
import { parseBackend, selectEngine } from '../engine.js';
import { loadNetwork } from '../models.js';
import { readVnnlib } from '../spec/vnnlib.js';
import { checkPropertyFits, verifyProperty } from '../verify/cascade.js';
import { writeResultFile } from '../verify/result-file.js';

export const summary = 'verify a VNN-LIB property of an ONNX network (attack, bounds, alpha-CROWN, MILP)';

export const usage = `
usage: veribound verify --net N.onnx --spec P.vnnlib [--timeout S] [--out RESULT] [--backend B]

  --net N.onnx        the network
  --spec P.vnnlib     the property (its unsafe set: sat = a counterexample exists)
  --timeout S         seconds for the whole instance, loading included (default 300)
  --out RESULT        write the competition's result file: the answer, and for sat the
                      counterexample as ((X_0 v) ... (Y_0 v) ...)
  --backend B         bound engine: auto (default: a hardware GPU, else the CPU), gpu or cpu
  --summary FILE      write {answer, decidedBy, timeS, stages: [{stage, timeS, closed, open}]} as JSON
  --seed N            attack seed (default 1)

Prints sat, unsat, timeout or unknown on the first line of stdout (exit code 0); a sat
answer always carries a counterexample that was replayed on the network.
`;

export async function run(argv: string[]): Promise<number> {
  const started = Date.now();
  const { values } = parseArgs({
    args: argv,
    options: {
      net: { type: 'string' },
      spec: { type: 'string' },
      timeout: { type: 'string', default: '300' },
      out: { type: 'string' },
      backend: { type: 'string', default: 'auto' },
      summary: { type: 'string' },
      seed: { type: 'string', default: '1' },
    },
    allowPositionals: false,
  });
  if (!values.net) throw new UserError('verify: --net N.onnx is required');
  if (!values.spec) throw new UserError('verify: --spec P.vnnlib is required');
  const timeoutS = Number(values.timeout);
  if (!(timeoutS > 0)) throw new UserError(`verify: --timeout '${values.timeout}': expected a positive number of seconds`);
  const seed = Number(values.seed);
  if (!Number.isInteger(seed)) throw new UserError(`verify: --seed '${values.seed}': expected an integer`);
  const backend = parseBackend(values.backend);
  for (const f of [values.out, values.summary]) {
    if (f && fs.existsSync(f) && fs.statSync(f).isDirectory()) throw new UserError(`verify: ${f} is a directory`);
  }

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
  if (values.out) writeResultFile(values.out, outcome.answer, outcome.counterexample);
  if (values.summary) {
    const { answer, decidedBy, timeS, stages } = outcome;
    fs.writeFileSync(values.summary, JSON.stringify({ answer, decidedBy, timeS, stages }) + '\n');
  }
  process.stdout.write(`${outcome.answer}\n`);
  process.stderr.write(`veribound: ${outcome.answer}${outcome.decidedBy ? ` (decided by ${outcome.decidedBy})` : ''} in ${outcome.timeS.toFixed(2)}s\n`);
  return 0;
}
