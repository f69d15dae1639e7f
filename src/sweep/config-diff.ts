/**
 * What changed between a stored sweep's configuration and the one being run: the dotted paths
 * that differ, with both values, for the "stored with a different configuration" message.
 * @module
 */

/** One difference: the dotted path, and its stored and new values as short JSON. */
export interface ConfigDifference {
  readonly path: string;
  readonly stored: string;
  readonly current: string;
}

const SHOWN = 60;

function show(value: unknown): string {
  if (value === undefined) return '(unset)';
  const text = JSON.stringify(value);
  return text.length > SHOWN ? `${text.slice(0, SHOWN - 1)}…` : text;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Every path where two JSON values differ, in key order (objects compared key by key). */
export function configDifferences(
  stored: unknown,
  current: unknown,
  path = '',
): ConfigDifference[] {
  if (isRecord(stored) && isRecord(current)) {
    const keys = [...new Set([...Object.keys(stored), ...Object.keys(current)])];
    return keys.flatMap((key) =>
      configDifferences(stored[key], current[key], path === '' ? key : `${path}.${key}`),
    );
  }
  if (JSON.stringify(stored) === JSON.stringify(current)) return [];
  return [
    {
      path: path === '' ? '(the whole configuration)' : path,
      stored: show(stored),
      current: show(current),
    },
  ];
}

/** The differences as one phrase: `parameters.lr.high 0.1 → 0.2, seed 0 → 1`, at most `max`. */
export function describeDifferences(differences: readonly ConfigDifference[], max = 5): string {
  const shown = differences
    .slice(0, max)
    .map((d) => `${d.path} ${d.stored} → ${d.current}`)
    .join(', ');
  const more = differences.length > max ? ` and ${differences.length - max} more` : '';
  return `${shown}${more}`;
}
