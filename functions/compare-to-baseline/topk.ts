import type { ComparisonOutcome } from './outcome';

/** Persistence of rank-biased overlap: the weight of the top 10 ranks is ~86 % of the total. */
export const RBO_P = 0.9;

export interface TopkSettings {
  k: number;
  minOverlap: number;
}

/**
 * `topk`: compares the first k ids of the output's ranking with the baseline's. Metrics: overlapAtK = |A∩B| / k,
 * jaccard = |A∩B| / |A∪B|, rbo (extrapolated rank-biased overlap, p = 0.9). The case passes when
 * overlapAtK ≥ minOverlap. Ids are compared by their JSON text, so 7 and "7" differ. A list shorter than k counts
 * its missing ranks as misses.
 */
export function compareTopk(outputIds: unknown[], baselineIds: unknown[], settings: TopkSettings): ComparisonOutcome {
  const a = topK(outputIds, settings.k);
  const b = topK(baselineIds, settings.k);
  const common = intersectionSize(a, b);
  const union = new Set([...a, ...b]).size;
  const overlapAtK = common / settings.k;
  const metrics = {
    overlapAtK,
    jaccard: union === 0 ? 1 : common / union,
    rbo: rankBiasedOverlap(a, b, RBO_P),
    k: settings.k,
    outputCount: a.length,
    baselineCount: b.length,
  };
  const passed = overlapAtK >= settings.minOverlap;
  return {
    passed,
    metrics,
    ...(passed
      ? {}
      : {
          reason: `overlap@${settings.k} = ${overlapAtK.toFixed(2)} < minOverlap ${settings.minOverlap.toFixed(2)}`,
        }),
  };
}

/** The first k distinct ids as JSON text (a repeated id in a ranking keeps its best rank). */
function topK(ids: unknown[], k: number): string[] {
  const seen = new Set<string>();
  for (const id of ids) {
    if (seen.size === k) break;
    seen.add(JSON.stringify(id) ?? 'undefined');
  }
  return [...seen];
}

function intersectionSize(a: string[], b: string[]): number {
  const inB = new Set(b);
  return a.filter((x) => inB.has(x)).length;
}

/**
 * Extrapolated rank-biased overlap, RBO_EXT of Webber, Moffat & Zobel, "A similarity measure for indefinite
 * rankings" (TOIS 2010), equation 32, which handles lists of different lengths (equation 30 when equal):
 *
 *   RBO_EXT = (1−p)/p · ( Σ_{d=1..l} X_d/d · p^d  +  Σ_{d=s+1..l} X_s·(d−s)/(s·d) · p^d )  +  ((X_l − X_s)/l + X_s/s) · p^l
 *
 * with S the shorter list (length s), L the longer (length l), and X_d = |S_{1:d} ∩ L_{1:d}| the overlap at depth d
 * (S_{1:d} is all of S once d > s). It assumes the agreement seen at the end of the lists continues beyond them.
 * Items must be distinct within each list. Two empty lists are identical (1); one empty list agrees with nothing (0).
 */
export function rankBiasedOverlap(first: readonly string[], second: readonly string[], p: number = RBO_P): number {
  if (!(p > 0 && p < 1)) throw new RangeError(`RBO persistence p must be in (0, 1), got ${p}`);
  const [short, long] = first.length <= second.length ? [first, second] : [second, first];
  const s = short.length;
  const l = long.length;
  if (l === 0) return 1;
  if (s === 0) return 0;

  const seenShort = new Set<string>();
  const seenLong = new Set<string>();
  let overlap = 0;
  const overlapAt: number[] = [0]; // overlapAt[d] = X_d
  for (let d = 1; d <= l; d++) {
    const fromLong = long[d - 1];
    if (d <= s) {
      const fromShort = short[d - 1];
      if (fromShort === fromLong) {
        overlap++;
      } else {
        if (seenLong.has(fromShort)) overlap++;
        if (seenShort.has(fromLong)) overlap++;
      }
      seenShort.add(fromShort);
    } else if (seenShort.has(fromLong)) {
      overlap++;
    }
    seenLong.add(fromLong);
    overlapAt.push(overlap);
  }

  const xs = overlapAt[s];
  const xl = overlapAt[l];
  let sum = 0;
  for (let d = 1; d <= l; d++) sum += (overlapAt[d] / d) * p ** d;
  for (let d = s + 1; d <= l; d++) sum += ((xs * (d - s)) / (s * d)) * p ** d;
  return ((1 - p) / p) * sum + ((xl - xs) / l + xs / s) * p ** l;
}
