import fc from 'fast-check';
import { compareTopk, rankBiasedOverlap } from '../../functions/compare-to-baseline/topk';

describe('rankBiasedOverlap (extrapolated, Webber et al. 2010)', () => {
  // Hand-computed with X_d = overlap at depth d, p = 0.9:
  // RBO_EXT = (1-p)/p · Σ_{d≤l} X_d/d·p^d  [+ uneven term]  + ((X_l-X_s)/l + X_s/s)·p^l
  it('matches the hand-computed value for equal lengths: [a,b,c,d] vs [a,c,b,e]', () => {
    // X = 1, 1, 3, 3 → (1/9)(0.9 + 0.405 + 0.729 + 0.492075) + 0.75·0.6561 = 0.280675 + 0.492075
    expect(rankBiasedOverlap(['a', 'b', 'c', 'd'], ['a', 'c', 'b', 'e'], 0.9)).toBeCloseTo(0.77275, 12);
  });

  it('matches the hand-computed value for a swapped pair: [a,b] vs [b,a]', () => {
    // X = 0, 2 → (1/9)(0.81) + 1·0.81 = 0.9
    expect(rankBiasedOverlap(['a', 'b'], ['b', 'a'], 0.9)).toBeCloseTo(0.9, 12);
  });

  it('matches the hand-computed value for uneven lengths (equation 32): [a,b] vs [b,a,c]', () => {
    // s=2, l=3; X = 0, 2, 2 → (1/9)(0.81 + 0.486 + 2·1/(2·3)·0.729) + ((2-2)/3 + 2/2)·0.729 = 0.171 + 0.729
    expect(rankBiasedOverlap(['a', 'b'], ['b', 'a', 'c'], 0.9)).toBeCloseTo(0.9, 12);
    expect(rankBiasedOverlap(['b', 'a', 'c'], ['a', 'b'], 0.9)).toBeCloseTo(0.9, 12);
  });

  it('matches the hand-computed value for uneven lengths with a late match: [a,x] vs [b,c,a]', () => {
    // s=2, l=3; X_1 = 0, X_2 = |{a,x}∩{b,c}| = 0, X_3 = |{a,x}∩{b,c,a}| = 1; X_s = 0, X_l = 1
    // (1/9)(0 + 0 + (1/3)·0.729 + 0) + ((1-0)/3 + 0)·0.729 = 0.027 + 0.243
    expect(rankBiasedOverlap(['a', 'x'], ['b', 'c', 'a'], 0.9)).toBeCloseTo(0.27, 12);
  });

  it('is 1 for identical rankings of any length and 0 for disjoint ones', () => {
    expect(rankBiasedOverlap(['a'], ['a'])).toBeCloseTo(1, 12);
    expect(rankBiasedOverlap(['a', 'b', 'c', 'd', 'e'], ['a', 'b', 'c', 'd', 'e'])).toBeCloseTo(1, 12);
    expect(rankBiasedOverlap(['a', 'b', 'c'], ['d', 'e', 'f'])).toBe(0);
    expect(rankBiasedOverlap([], [])).toBe(1);
    expect(rankBiasedOverlap(['a'], [])).toBe(0);
  });

  it('is symmetric and within [0, 1] for any two rankings', () => {
    const ranking = fc.uniqueArray(fc.constantFrom(...'abcdefghij'.split('')), { maxLength: 10 });
    fc.assert(
      fc.property(ranking, ranking, (a, b) => {
        const forward = rankBiasedOverlap(a, b);
        expect(forward).toBeGreaterThanOrEqual(-1e-12);
        expect(forward).toBeLessThanOrEqual(1 + 1e-12);
        expect(forward).toBeCloseTo(rankBiasedOverlap(b, a), 12);
      }),
      { numRuns: 200 },
    );
  });

  it('weighs the top ranks more: a disagreement at rank 1 costs more than at rank 5', () => {
    const base = ['a', 'b', 'c', 'd', 'e'];
    expect(rankBiasedOverlap(base, ['x', 'b', 'c', 'd', 'e'])).toBeLessThan(rankBiasedOverlap(base, ['a', 'b', 'c', 'd', 'x']));
  });

  it('rejects a persistence outside (0, 1)', () => {
    expect(() => rankBiasedOverlap(['a'], ['a'], 1)).toThrow(RangeError);
  });
});

describe('compareTopk', () => {
  it('reports overlap@k, Jaccard and RBO of the top k and passes at minOverlap', () => {
    const outcome = compareTopk(['a', 'b', 'c', 'd', 'e', 'z'], ['a', 'c', 'b', 'x', 'y', 'e'], { k: 5, minOverlap: 0.6 });
    // top 5: {a,b,c,d,e} vs {a,c,b,x,y}: 3 common, union 7
    expect(outcome.metrics).toMatchObject({ overlapAtK: 0.6, jaccard: 3 / 7, k: 5, outputCount: 5, baselineCount: 5 });
    expect(outcome.metrics.rbo).toBeCloseTo(rankBiasedOverlap(['a', 'b', 'c', 'd', 'e'], ['a', 'c', 'b', 'x', 'y']), 12);
    expect(outcome.passed).toBe(true);
    expect(outcome.reason).toBeUndefined();
  });

  it('fails below minOverlap with the reason in words', () => {
    const outcome = compareTopk([1, 2, 3, 4, 5], [1, 2, 6, 7, 8], { k: 5, minOverlap: 0.8 });
    expect(outcome.passed).toBe(false);
    expect(outcome.reason).toBe('overlap@5 = 0.40 < minOverlap 0.80');
  });

  it('counts the missing ranks of a list shorter than k as misses, and compares ids by type', () => {
    expect(compareTopk(['a', 'b'], ['a', 'b', 'c', 'd'], { k: 4, minOverlap: 0.5 }).metrics.overlapAtK).toBe(0.5);
    expect(compareTopk([7], ['7'], { k: 1, minOverlap: 1 }).passed).toBe(false);
  });

  it('keeps the best rank of an id repeated in a ranking', () => {
    const outcome = compareTopk(['a', 'a', 'b'], ['a', 'b'], { k: 2, minOverlap: 1 });
    expect(outcome.metrics).toMatchObject({ overlapAtK: 1, jaccard: 1 });
    expect(outcome.metrics.rbo).toBeCloseTo(1, 12);
  });
});
