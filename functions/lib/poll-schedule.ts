/**
 * How far the endpoint and output poll loops (DescribeEndpoint, CheckOutput) let their interval grow: 30 s → 38 →
 * 45 s for the endpoint, 10 s → 13 → 15 s for the output. A deployment whose endpoint takes 6 minutes and whose
 * output takes 60 s costs 60 state transitions instead of 72 with fixed intervals, and each is still seen within
 * one base interval (23 s and 8 s after it is ready, against 0–30 s and 0–10 s); see bench/cloud-cost.ts.
 */
export const READINESS_POLL_MAX_FACTOR = 1.5;

/**
 * How long to wait before the next poll of something that is not ready yet (endpoint, output, lock, rollback).
 * Every poll is a few state transitions (billed in Standard workflows), so the interval grows gently from the
 * configured base; it never exceeds `maxFactor` times the base, so detection is delayed by at most one interval.
 */
export function nextPollSeconds(baseSeconds: number, pollsSoFar: number, maxFactor = 1): number {
  const factor = Math.min(maxFactor, 1 + pollsSoFar * 0.25);
  return Math.max(1, Math.round(baseSeconds * factor));
}
