/** Small statistics for benchmark samples. Pure: no clock, no I/O. */

export class EmptySample extends Error {
  override readonly name = 'EmptySample';
}

/** The middle value (mean of the two middle ones for an even count). Medians resist the outliers of a shared machine. */
export function median(values: readonly number[]): number {
  return percentile(values, 50);
}

/**
 * The p-th percentile (0–100) by linear interpolation between closest ranks, as numpy's default:
 * p50 of [1, 2, 3, 4] is 2.5, p99 of 1..100 is 99.01.
 */
export function percentile(values: readonly number[], p: number): number {
  if (values.length === 0) throw new EmptySample(`percentile ${p} of an empty sample: the measurement produced no values`);
  if (!(p >= 0 && p <= 100)) throw new RangeError(`percentile must be within 0..100, got ${p}`);
  const sorted = [...values].sort((a, b) => a - b);
  const rank = (p / 100) * (sorted.length - 1);
  const low = Math.floor(rank);
  const high = Math.ceil(rank);
  return sorted[low] + (sorted[high] - sorted[low]) * (rank - low);
}

/** numerator ÷ denominator; a zero denominator is a broken measurement, never Infinity in a report. */
export function ratio(numerator: number, denominator: number): number {
  if (!(denominator > 0)) throw new RangeError(`ratio with a non-positive denominator (${numerator} / ${denominator})`);
  return numerator / denominator;
}

/** Rounds for reports: 3 significant decimals are all a noisy machine can vouch for. */
export function round(value: number, decimals = 3): number {
  const f = 10 ** decimals;
  return Math.round(value * f) / f;
}
