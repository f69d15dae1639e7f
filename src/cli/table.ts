/**
 * kubectl-style tables: left-aligned columns separated by two spaces, no borders.
 * @module
 */

// Colour codes must not count towards a column's width.
// eslint-disable-next-line no-control-regex
const ANSI = /\u001b\[[0-9;]*m/g;

function visibleLength(text: string): number {
  return text.replace(ANSI, '').length;
}

/** Renders rows under a header; every row has the header's number of cells. */
export function renderTable(
  header: readonly string[],
  rows: readonly (readonly string[])[],
): string {
  const widths = header.map((title, column) =>
    Math.max(visibleLength(title), ...rows.map((row) => visibleLength(row[column] ?? ''))),
  );
  const line = (cells: readonly string[]): string =>
    cells
      .map((cell, column) =>
        column === cells.length - 1
          ? cell
          : cell + ' '.repeat((widths[column] ?? 0) - visibleLength(cell)),
      )
      .join('  ')
      .trimEnd();
  return [line(header), ...rows.map(line)].join('\n');
}

/**
 * Text made to fit one table cell: on one line (runs of whitespace, newlines included, become one
 * space) and at most `width` characters, ending in `…` when it was cut. The full text belongs to
 * the commands that show one job (`result`, `--json`).
 */
export function fitCell(text: string, width: number): string {
  const line = text.trim().replace(/\s+/g, ' ');
  return line.length > width ? `${line.slice(0, width - 1)}…` : line;
}
