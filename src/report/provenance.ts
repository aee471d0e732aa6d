// What a report records about how it was made: the veribound version and the command line,
// quoted so that it can be pasted back into a shell — the same values as every JSON's meta
// (src/run-meta.ts), under the names the report pages use.
import { VERSION, quoteCommandLine } from '../run-meta.js';

export function veriboundVersion(): string {
  return VERSION;
}

/** `veribound <args>` with each argument shell-quoted where it needs it. */
export function commandLine(args: readonly string[] = process.argv.slice(2)): string {
  return quoteCommandLine(args);
}
