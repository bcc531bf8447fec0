/**
 * How long to wait before the next poll of something that is not ready yet (endpoint, output, lock, rollback).
 * Every poll is a few state transitions (billed in Standard workflows), so the interval grows gently from the
 * configured base; it never exceeds `maxFactor` times the base, so detection is delayed by at most one interval.
 */
export function nextPollSeconds(baseSeconds: number, pollsSoFar: number, maxFactor = 1): number {
  const factor = Math.min(maxFactor, 1 + pollsSoFar * 0.25);
  return Math.max(1, Math.round(baseSeconds * factor));
}
