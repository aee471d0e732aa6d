#!/usr/bin/env node
// Entry point: `veribound <command> [options]`. Each command lives in src/commands/<name>.ts
// and exports `summary`, `usage` and `run(argv)`; this file only dispatches and turns
// user errors into one line on stderr with exit code 2.
import { UserError } from './errors.js';

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
  worker: () => import('./commands/worker.js'),
  merge: () => import('./commands/merge.js'),
};

function mainHelp(): string {
  return [
    'veribound: prove or refute that a classifier cannot change its decision inside an L-infinity ball',
    '',
    'usage: veribound <command> [options]      veribound <command> --help',
    '',
    'commands:',
    ...Object.keys(commands).map((c) => `  ${c}`),
  ].join('\n');
}

async function main(argv: string[]): Promise<number> {
  const [name, ...rest] = argv;
  if (!name || name === '--help' || name === '-h' || name === 'help') {
    const lines = [mainHelp().split('\n').slice(0, 5).join('\n')];
    for (const [c, load] of Object.entries(commands)) lines.push(`  ${c.padEnd(8)} ${(await load()).summary}`);
    process.stdout.write(lines.join('\n') + '\n');
    return name ? 0 : 2;
  }
  const load = commands[name];
  if (!load) throw new UserError(`unknown command '${name}' (commands: ${Object.keys(commands).join(', ')}; see veribound --help)`);
  const cmd = await load();
  if (rest.includes('--help') || rest.includes('-h')) {
    process.stdout.write(`${cmd.usage.trim()}\n`);
    return 0;
  }
  return (await cmd.run(rest)) ?? 0;
}

main(process.argv.slice(2)).then(
  (code) => { process.exitCode = code; },
  (err: unknown) => {
    if (err instanceof UserError) {
      process.stderr.write(`veribound: ${err.message}\n`);
      process.exitCode = err.exitCode;
    } else if (String((err as NodeJS.ErrnoException)?.code ?? '').startsWith('ERR_PARSE_ARGS')) {
      // node:util parseArgs complaints (unknown option, missing value) are user errors too
      process.stderr.write(`veribound: ${(err as Error).message}\n`);
      process.exitCode = 2;
    } else {
      process.stderr.write(`veribound: internal error: ${err instanceof Error ? err.stack : String(err)}\n`);
      process.exitCode = 1;
    }
  },
);
