#!/usr/bin/env node
// Entry point: `veribound <command> [options]`. Each command lives in src/commands/<name>.ts
// and exports `summary`, `usage` and `run(argv)`; this file dispatches, answers --version,
// `help <command>` and `<command> --help`, records the command line for the JSON documents'
// meta, installs the Ctrl-C handler (exit 130) for the commands that have none of their own,
// and turns user errors into one line on stderr with exit code 2.
import { UserError } from './errors.js';
import { setCommandLine, VERSION } from './run-meta.js';
import { installInterruptHandler } from './interrupt.js';
import { nearest } from './suggest.js';

export interface Command {
  summary: string;
  usage: string;
  run(argv: string[]): Promise<number | void>;
}

const commands: Record<string, () => Promise<Command>> = {
  info: () => import('./commands/info.js'),
  train: () => import('./commands/train.js'),
  bounds: () => import('./commands/bounds.js'),
  sweep: () => import('./commands/sweep.js'),
  verify: () => import('./commands/verify.js'),
  run: () => import('./commands/run.js'),
  attack: () => import('./commands/attack.js'),
  bench: () => import('./commands/bench.js'),
  check: () => import('./commands/check.js'),
  serve: () => import('./commands/serve.js'),
  worker: () => import('./commands/worker.js'),
  merge: () => import('./commands/merge.js'),
};

/**
 * Commands that handle SIGINT themselves (the sweep keeps its partial results, serve closes its
 * server, the worker finishes or hands back its job, run --queue leaves its jobs queued for
 * --resume; run installs the common handler itself when it runs the instances here).
 */
const OWN_INTERRUPT = new Set(['sweep', 'serve', 'worker', 'run']);

async function mainHelp(): Promise<string> {
  const lines = [
    'veribound: prove or refute that a classifier cannot change its decision inside an L-infinity ball',
    '',
    'usage: veribound <command> [options]     veribound help <command>     veribound --version',
    '',
    'commands:',
  ];
  for (const [c, load] of Object.entries(commands)) lines.push(`  ${c.padEnd(8)} ${(await load()).summary}`);
  lines.push('', 'every command takes --help; those that compute also take --json (one JSON document on', 'stdout) and --out FILE.json (the same document in a file)');
  return lines.join('\n');
}

function unknownCommand(name: string): UserError {
  const guess = nearest(name, Object.keys(commands));
  return new UserError(`unknown command '${name}'${guess ? ` (did you mean ${guess}?)` : ''}; commands: ${Object.keys(commands).join(', ')}`);
}

async function main(argv: string[]): Promise<number> {
  setCommandLine(argv);
  const [name, ...rest] = argv;
  if (name === '--version' || name === '-V' || name === 'version') {
    process.stdout.write(`veribound ${VERSION}\n`);
    return 0;
  }
  if (!name || name === '--help' || name === '-h' || (name === 'help' && rest.length === 0)) {
    process.stdout.write(`${await mainHelp()}\n`);
    return name ? 0 : 2;
  }
  if (name === 'help') {
    const load = commands[rest[0]];
    if (!load) throw unknownCommand(rest[0]);
    process.stdout.write(`${(await load()).usage.trim()}\n`);
    return 0;
  }
  const load = commands[name];
  if (!load) throw unknownCommand(name);
  const cmd = await load();
  if (rest.includes('--help') || rest.includes('-h')) {
    process.stdout.write(`${cmd.usage.trim()}\n`);
    return 0;
  }
  if (!OWN_INTERRUPT.has(name)) installInterruptHandler(name);
  try {
    return (await cmd.run(rest)) ?? 0;
  } catch (err) {
    throw suggestOption(err, name, cmd.usage);
  }
}

/**
 * A command that calls node's parseArgs itself (not cli-args.ts) still gets the nearest option
 * for an unknown one: its options are the --names its usage text lists.
 */
function suggestOption(err: unknown, command: string, usage: string): unknown {
  if ((err as NodeJS.ErrnoException)?.code !== 'ERR_PARSE_ARGS_UNKNOWN_OPTION') return err;
  const name = /Unknown option '-{1,2}([^'=]+)'/.exec((err as Error).message)?.[1];
  if (!name) return err;
  const known = [...new Set([...usage.matchAll(/--([a-z][a-z0-9-]*)/g)].map((m) => m[1]))];
  const guess = nearest(name, known);
  return new UserError(`${command}: unknown option '--${name}'${guess ? ` (did you mean --${guess}?)` : ''}; see veribound ${command} --help`);
}

main(process.argv.slice(2)).then(
  (code) => { process.exitCode = code; },
  (err: unknown) => {
    if (err instanceof UserError) {
      process.stderr.write(`veribound: ${err.message}\n`);
      process.exitCode = err.exitCode;
    } else if (String((err as NodeJS.ErrnoException)?.code ?? '').startsWith('ERR_PARSE_ARGS')) {
      // node:util parseArgs complaints (unknown option, missing value) are user errors too
      process.stderr.write(`veribound: ${(err as Error).message.split('\n')[0]}\n`);
      process.exitCode = 2;
    } else {
      process.stderr.write(`veribound: internal error: ${err instanceof Error ? err.stack : String(err)}\n`);
      process.exitCode = 1;
    }
  },
);
