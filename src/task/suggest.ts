/**
 * "Did you mean" hints for unknown task fields.
 * @module
 */

/**
 * The optimal-string-alignment distance between two strings: insertions, deletions,
 * substitutions and transpositions of adjacent characters each cost 1.
 *
 * @example
 * ```ts
 * editDistance('nmae', 'name'); // 1
 * ```
 */
export function editDistance(a: string, b: string): number {
  const rows = a.length + 1;
  const cols = b.length + 1;
  const d: number[] = new Array<number>(rows * cols).fill(0);
  const at = (i: number, j: number): number => d[i * cols + j] ?? 0;
  for (let i = 0; i < rows; i++) d[i * cols] = i;
  for (let j = 0; j < cols; j++) d[j] = j;
  for (let i = 1; i < rows; i++) {
    for (let j = 1; j < cols; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      let best = Math.min(at(i - 1, j) + 1, at(i, j - 1) + 1, at(i - 1, j - 1) + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) {
        best = Math.min(best, at(i - 2, j - 2) + 1);
      }
      d[i * cols + j] = best;
    }
  }
  return at(a.length, b.length);
}

/** Lower-cases and drops `_`/`-` so that `numNodes`, `num-nodes` and `NUM_NODES` all compare equal. */
function normalize(word: string): string {
  return word.toLowerCase().replace(/[-_\s]/g, '');
}

/**
 * The candidate closest to `word`, or undefined when none is close enough to be a plausible typo.
 *
 * Spelling variants (`numNodes` for `num_nodes`) always match; otherwise the edit distance must be
 * at most about 40% of the word's length, so short words only match near misses.
 *
 * @example
 * ```ts
 * closestMatch('memroy', ['cpus', 'memory']); // 'memory'
 * closestMatch('zzz', ['cpus', 'memory']); // undefined
 * ```
 */
export function closestMatch(word: string, candidates: readonly string[]): string | undefined {
  const norm = normalize(word);
  const exact = candidates.find((c) => normalize(c) === norm);
  if (exact !== undefined) return exact;
  const limit = Math.max(1, Math.round(norm.length * 0.4));
  let best: string | undefined;
  let bestDistance = Infinity;
  for (const candidate of candidates) {
    const distance = editDistance(norm, normalize(candidate));
    if (distance <= limit && distance < bestDistance) {
      best = candidate;
      bestDistance = distance;
    }
  }
  return best;
}
