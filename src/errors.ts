// A UserError is a problem with what the user gave us (a file, an argument, a shape):
// the CLI prints its message as one line on stderr and exits with code 2, no stack trace.
export class UserError extends Error {
  readonly exitCode: number;
  constructor(message: string, exitCode = 2) {
    super(message);
    this.name = 'UserError';
    this.exitCode = exitCode;
  }
}

/** Prints a warning once per distinct message (e.g. "no GPU, using the CPU engine"). */
const warned = new Set<string>();
export function warnOnce(message: string): void {
  if (warned.has(message)) return;
  warned.add(message);
  process.stderr.write(`veribound: warning: ${message}\n`);
}
