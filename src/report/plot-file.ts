// Writing a picture to the file the user named, in the format its extension asks for: .svg as
// is (for papers: vector, editable), .png rasterised by resvg (for slides and chat). resvg
// (@resvg/resvg-js) is a well-kept Rust SVG renderer shipped as prebuilt binaries inside npm
// packages — no download at install, no browser, no Cairo — and it renders this project's SVGs
// (text with ε and ℓ∞ through the system's DejaVu/Helvetica fonts) faithfully; it is loaded only
// when a PNG is asked for. Writes go through a temporary file and a rename, so a failure
// leaves nothing half-written.
import fs from 'node:fs';
import path from 'node:path';
import { createRequire } from 'node:module';
import { UserError } from '../errors.js';

export const PICTURE_FORMATS = ['.svg', '.png'] as const;
export type PictureFormat = (typeof PICTURE_FORMATS)[number];

/** The format of `file` by its extension, or a UserError naming the flag and what is supported. */
export function pictureFormat(file: string, flag: string): PictureFormat {
  const ext = path.extname(file).toLowerCase();
  if ((PICTURE_FORMATS as readonly string[]).includes(ext)) return ext as PictureFormat;
  throw new UserError(`${flag} ${file}: unknown picture format '${ext || '(no extension)'}'; use ${PICTURE_FORMATS.join(' or ')}`);
}

/** Bytes to `file` through a temporary file and a rename. */
export function writeBytesAtomic(file: string, bytes: Uint8Array | string, flag: string): void {
  const tmp = path.join(path.dirname(file), `.${path.basename(file)}.${process.pid}.tmp`);
  try {
    fs.writeFileSync(tmp, bytes);
    fs.renameSync(tmp, file);
  } catch (err) {
    fs.rmSync(tmp, { force: true });
    throw new UserError(`${flag} ${file}: cannot write it (${(err as NodeJS.ErrnoException).code ?? String(err)})`);
  }
}

interface ResvgModule {
  Resvg: new (svg: string, opts: object) => { render(): { asPng(): Uint8Array } };
}

/** The SVG rasterised at `zoom` × its own size (3: a 400-px-wide plot becomes 1200 px). */
export function svgToPng(svg: string, zoom = 3): Uint8Array {
  let mod: ResvgModule;
  try {
    mod = createRequire(import.meta.url)('@resvg/resvg-js') as ResvgModule;
  } catch (err) {
    throw new UserError(`PNG output needs @resvg/resvg-js, which did not load on this platform (${(err as Error).message.split('\n')[0]}); write .svg instead`);
  }
  const r = new mod.Resvg(svg, {
    fitTo: { mode: 'zoom', value: zoom },
    background: 'white',
    font: { loadSystemFonts: true, defaultFontFamily: 'DejaVu Sans', sansSerifFamily: 'DejaVu Sans' },
  });
  return r.render().asPng();
}

/** Writes an SVG document to `file` as SVG or PNG, by the file's extension. */
export function writePicture(file: string, svg: string, flag: string): void {
  const format = pictureFormat(file, flag);
  writeBytesAtomic(file, format === '.png' ? svgToPng(svg) : svg, flag);
}
