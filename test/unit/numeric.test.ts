import { compareNumeric } from '../../functions/compare-to-baseline/numeric';

const tolerance = { absTol: 0, relTol: 0.1 };

describe('compareNumeric', () => {
  it('passes when every pair is within absTol + relTol·|baseline|, and reports the errors', () => {
    const outcome = compareNumeric({ scores: [110, 50, -3] }, { scores: [100, 50, -3] }, tolerance);
    expect(outcome.passed).toBe(true);
    expect(outcome.metrics).toEqual({ maxAbsError: 10, maxRelError: 0.1, compared: 3, violations: 0, mismatches: 0 });
  });

  it('fails for a pair beyond tolerance, naming the count, the tolerance and the worst path', () => {
    const outcome = compareNumeric({ scores: [110.5, 50, 0.2] }, { scores: [100, 50, 0] }, { absTol: 0.5, relTol: 0.1 });
    // 110.5 vs 100: 10.5 ≤ 0.5 + 10 → ok; 0.2 vs 0: 0.2 ≤ 0.5 → ok
    expect(outcome.passed).toBe(true);
    const failing = compareNumeric({ scores: [111, 50, 0.7] }, { scores: [100, 50, 0] }, { absTol: 0.5, relTol: 0.1 });
    expect(failing.passed).toBe(false);
    expect(failing.metrics).toMatchObject({ compared: 3, violations: 2, maxAbsError: 11 });
    expect(failing.reason).toBe('2 of 3 numbers differ by more than absTol 0.5 + relTol 0.1·|baseline| (max abs error 11 at $.scores[0])');
    expect(failing.differences?.map((d) => d.path)).toEqual(['$.scores[0]', '$.scores[2]']);
  });

  it('computes the relative error only where the baseline is non-zero', () => {
    const outcome = compareNumeric([1e-7, 2], [0, 1], { absTol: 1e-6, relTol: 1 });
    expect(outcome.metrics.maxRelError).toBe(1);
    expect(outcome.passed).toBe(true);
  });

  it('requires the same structure: a missing element fails even when the numbers agree', () => {
    const outcome = compareNumeric({ a: [1, 2, 3] }, { a: [1, 2] }, tolerance);
    expect(outcome.passed).toBe(false);
    expect(outcome.metrics.mismatches).toBe(1);
    expect(outcome.reason).toContain('first $.a[2]');
  });

  it('requires equal non-numeric leaves', () => {
    const outcome = compareNumeric({ label: 'cat', p: 0.9 }, { label: 'dog', p: 0.9 }, tolerance);
    expect(outcome.passed).toBe(false);
    expect(outcome.differences).toEqual([{ path: '$.label', detail: 'output "cat" ≠ baseline "dog"' }]);
  });

  it('fails when the selection holds no numbers at all', () => {
    const outcome = compareNumeric(['a'], ['a'], tolerance);
    expect(outcome.passed).toBe(false);
    expect(outcome.reason).toBe('the selection contains no numbers to compare');
  });
});
