// Help text that fits 100 columns: long descriptions shared between commands (dataset specs,
// architectures, bundled models) are wrapped at word boundaries under their option's column.

/** `text` wrapped so that no line passes `width` columns when the first line starts at `first` and the rest at `indent`. */
export function wrap(text: string, indent: number, first = indent, width = 100): string {
  const lines: string[] = [];
  let line = '';
  let room = width - first;
  for (const word of text.split(/\s+/).filter(Boolean)) {
    if (line && line.length + 1 + word.length > room) {
      lines.push(line);
      line = word;
      room = width - indent;
    } else line = line ? `${line} ${word}` : word;
  }
  if (line) lines.push(line);
  return lines.join(`\n${' '.repeat(indent)}`);
}
