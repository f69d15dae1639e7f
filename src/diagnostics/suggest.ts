/**
 * "Did you mean" for everything konduktor names: fields of task, sweep and config files, keys of
 * the object API and of overrides, and job names. One edit distance serves them all.
 *
 * @example
 * ```ts
 * closestMatch('memroy', ['cpus', 'memory']); // 'memory'
 * suggestNames('trian-3f9a', ['train-3f9a', 'eval-0001']); // ['train-3f9a']
 * ```
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

/**
 * Lower-cases and drops `_`, `-` and spaces, so that `numNodes`, `num-nodes` and `NUM_NODES` all
 * compare equal.
 *
 * @example
 * ```ts
 * normalizeSpelling('num_nodes') === normalizeSpelling('numNodes'); // true
 * ```
 */
export function normalizeSpelling(word: string): string {
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
  const norm = normalizeSpelling(word);
  const exact = candidates.find((c) => normalizeSpelling(c) === norm);
  if (exact !== undefined) return exact;
  const limit = Math.max(1, Math.round(norm.length * 0.4));
  let best: string | undefined;
  let bestDistance = Infinity;
  for (const candidate of candidates) {
    const distance = editDistance(norm, normalizeSpelling(candidate));
    if (distance <= limit && distance < bestDistance) {
      best = candidate;
      bestDistance = distance;
    }
  }
  return best;
}

/**
 * Up to three job names close to `wanted`: those it is a prefix of, then those within a small
 * edit distance, nearest first.
 *
 * @example
 * ```ts
 * suggestNames('train', ['train-3f9a', 'eval-0001']); // ['train-3f9a']
 * ```
 */
export function suggestNames(wanted: string, names: readonly string[]): string[] {
  const limit = Math.max(2, Math.floor(wanted.length / 3));
  return names
    .map((name) => ({ name, distance: name.startsWith(wanted) ? 0 : editDistance(wanted, name) }))
    .filter((entry) => entry.distance <= limit)
    .sort((x, y) => x.distance - y.distance || x.name.localeCompare(y.name))
    .slice(0, 3)
    .map((entry) => entry.name);
}
