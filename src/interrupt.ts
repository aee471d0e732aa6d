// Ctrl-C (SIGINT) and SIGTERM for the commands that do not handle them themselves: what must not
// be left behind is cleaned up first (a child process killed, a lock file removed), then one line
// on stderr and exit code 130. Commands register cleanups with onInterrupt; the lock files of
// output-lock.ts are removed by their own 'exit' hook, which process.exit runs too.

const cleanups = new Set<() => void>();

/** Runs `fn` if the process is interrupted; call the returned function once it no longer applies. */
export function onInterrupt(fn: () => void): () => void {
  cleanups.add(fn);
  return () => { cleanups.delete(fn); };
}

let installed = false;

/** Installs the handler (once) for `command`. */
export function installInterruptHandler(command: string): void {
  if (installed) return;
  installed = true;
  for (const sig of ['SIGINT', 'SIGTERM'] as const) {
    process.on(sig, () => {
      for (const fn of cleanups) {
        try { fn(); } catch { /* the rest must still run */ }
      }
      process.stderr.write(`veribound: ${command} interrupted (${sig}); exiting\n`);
      process.exit(130);
    });
  }
}
