// Option parsing shared by every command, so that the same mistakes get the same one-line answer:
// an unknown option names the nearest known one (Levenshtein), a negative number given as a
// separate argument (`--eps -0.1`) reaches the value check instead of node's three-line
// complaint, a renamed option says its new name, and every parse error is a UserError (exit 2).
import { parseArgs } from 'node:util';
import { UserError } from './errors.js';
import { nearest } from './suggest.js';

interface Opt { type: 'string' | 'boolean'; default?: string | boolean }
type Options = Record<string, Opt>;
/** A string or boolean per option; undefined only for options without a default. */
export type Values<T extends Options> = {
  [K in keyof T]: (T[K]['type'] extends 'boolean' ? boolean : string) | (T[K] extends { default: string | boolean } ? never : undefined)
};

/**
 * `--eps -0.1`: parseArgs takes "-0.1" for an option; joining a negative number to its flag
 * (`--eps=-0.1`) lets the command's own check say what is wrong with the value.
 */
export function joinNegatives(argv: readonly string[], options: Options): string[] {
  const out: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i], next = argv[i + 1];
    const name = /^--([a-z][a-z0-9-]*)$/.exec(a)?.[1];
    if (name && options[name]?.type === 'string' && next !== undefined && /^-(\d|\.\d|inf)/i.test(next)) {
      out.push(`${a}=${next}`);
      i++;
    } else out.push(a);
  }
  return out;
}

/**
 * parseArgs with the conventions above. `renamed` maps an old option name to its new one
 * (e.g. train's `batch` -> `batch-size`), so that old command lines get a clear line.
 */
export function parseOptions<const T extends Options>(command: string, argv: readonly string[], options: T, renamed: Record<string, string> = {}): { values: Values<T> } {
  try {
    return { values: parseArgs({ args: joinNegatives(argv, options), options, allowPositionals: false, strict: true }).values as unknown as Values<T> };
  } catch (err) {
    const code = String((err as NodeJS.ErrnoException)?.code ?? '');
    if (!code.startsWith('ERR_PARSE_ARGS')) throw err;
    const message = (err as Error).message;
    const unknown = /Unknown option '(-{1,2})([^'=]+)'/.exec(message);
    if (unknown) {
      const name = unknown[2];
      if (renamed[name]) throw new UserError(`${command}: --${name} is now --${renamed[name]}`);
      const guess = nearest(name, Object.keys(options));
      throw new UserError(`${command}: unknown option '${unknown[1]}${name}'${guess ? ` (did you mean --${guess}?)` : ''}; see veribound ${command} --help`);
    }
    const positional = /Unexpected argument '([^']*)'/.exec(message);
    if (positional) throw new UserError(`${command}: unexpected argument '${positional[1]}' (options take the form --name value); see veribound ${command} --help`);
    throw new UserError(`${command}: ${message.split('\n')[0]}`);
  }
}
