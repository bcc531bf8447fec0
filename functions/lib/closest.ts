/**
 * The candidate nearest to `value` by edit distance (case-insensitive), when it is near enough to be a typo of it:
 * at most a third of its length away, or a name it begins or is the beginning of. Undefined otherwise — a wild
 * guess helps nobody.
 */
export function closest(value: string, candidates: readonly string[]): string | undefined {
  // A name cut short or run on (`maxConcurrentInvocations`) is the longer or shorter name it is part of.
  const lower = value.toLowerCase();
  const extended = candidates.find((c) => lower.length >= 4 && (c.toLowerCase().startsWith(lower) || lower.startsWith(c.toLowerCase())));
  if (extended) return extended;
  let best: string | undefined;
  let bestDistance = Infinity;
  for (const candidate of candidates) {
    const distance = editDistance(value.toLowerCase(), candidate.toLowerCase());
    if (distance < bestDistance) [best, bestDistance] = [candidate, distance];
  }
  return bestDistance <= Math.max(1, Math.floor(value.length / 3)) ? best : undefined;
}

/** Levenshtein distance. */
export function editDistance(a: string, b: string): number {
  let previous = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const row = [i];
    for (let j = 1; j <= b.length; j++) {
      row[j] = Math.min(previous[j] + 1, row[j - 1] + 1, previous[j - 1] + (a[i - 1] === b[j - 1] ? 0 : 1));
    }
    previous = row;
  }
  return previous[b.length];
}
