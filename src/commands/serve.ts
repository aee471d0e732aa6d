// `veribound serve`: the browser page (built by `npm run build:web` into dist-web/) on a local
// port, for people who would rather start it from the CLI than put the folder on a static host.
// Serves files only (src/serve/static.ts); runs until Ctrl-C (exit 130).
import { parseArgs } from 'node:util';
import fs from 'node:fs';
import path from 'node:path';
import { UserError } from '../errors.js';
import { packageRoot } from '../paths.js';
import { serveStatic } from '../serve/static.js';

export const summary = 'serve the browser page (npm run build:web) on a local port';

export const usage = `
usage: veribound serve [--dir DIR] [--port N] [--host H]

  --dir DIR   the built page (default: dist-web/ of the package; build it with npm run build:web)
  --port N    port to listen on (default 8080; 0 picks a free one)
  --host H    address to listen on (default 127.0.0.1, this machine only)
`;

export async function run(argv: string[]): Promise<number> {
  const { values } = parseArgs({
    args: argv,
    options: { dir: { type: 'string' }, port: { type: 'string', default: '8080' }, host: { type: 'string', default: '127.0.0.1' } },
    allowPositionals: false,
  });
  const dir = values.dir ?? path.join(packageRoot, 'dist-web');
  if (!fs.existsSync(path.join(dir, 'index.html'))) {
    throw new UserError(`${dir}: no built page there (index.html missing); run npm run build:web first${values.dir ? ' or give the folder it wrote with --dir' : ''}`);
  }
  const port = Number(values.port);
  if (!/^\d+$/.test(values.port!) || port > 65535) throw new UserError(`--port '${values.port}': expected a port number in 0..65535`);
  let server;
  try {
    server = await serveStatic(dir, { port, host: values.host });
  } catch (err) {
    throw new UserError(`cannot listen on ${values.host}:${port} (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`);
  }
  process.stdout.write(`veribound: serving ${dir} at ${server.url} (Ctrl-C to stop)\n`);
  await new Promise<void>((resolve) => process.once('SIGINT', () => resolve()));
  await server.close();
  return 130;
}
