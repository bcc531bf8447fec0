import { preview, walkPairs } from './json-pairs';
import { MAX_REPORTED_DIFFERENCES, type ComparisonOutcome, type Difference } from './outcome';

export interface NumericTolerance {
  absTol: number;
  relTol: number;
}

/**
 * `numeric`: the selections must have the same structure and equal non-numeric leaves; every pair of numbers must
 * satisfy |a − b| ≤ absTol + relTol·|b| (b the baseline, as numpy.isclose does). Metrics: maxAbsError,
 * maxRelError (over pairs whose baseline is non-zero, where a relative error is defined), compared (pairs of
 * numbers), violations (pairs out of tolerance), mismatches (structural or non-numeric differences).
 */
export function compareNumeric(output: unknown, baseline: unknown, tolerance: NumericTolerance): ComparisonOutcome {
  let compared = 0;
  let violations = 0;
  let mismatches = 0;
  let maxAbsError = 0;
  let maxRelError = 0;
  let worst: { path: string; absError: number } | undefined;
  let firstMismatch: string | undefined;
  const differences: Difference[] = [];
  const note = (path: string, detail: string) => {
    if (differences.length < MAX_REPORTED_DIFFERENCES) differences.push({ path, detail });
  };

  const mismatch = (path: string, detail: string) => {
    mismatches++;
    firstMismatch ??= path;
    note(path, detail);
  };

  walkPairs(output, baseline, {
    leaf: (path, a, b) => {
      if (typeof a === 'number' && typeof b === 'number') {
        compared++;
        const absError = Math.abs(a - b);
        maxAbsError = Math.max(maxAbsError, absError);
        if (b !== 0) maxRelError = Math.max(maxRelError, absError / Math.abs(b));
        if (absError > tolerance.absTol + tolerance.relTol * Math.abs(b)) {
          violations++;
          note(path, `output ${a} vs baseline ${b}: |difference| ${absError} beyond tolerance`);
          if (!worst || absError > worst.absError) worst = { path, absError };
        }
      } else if (a !== b) {
        mismatch(path, `output ${preview(a)} ≠ baseline ${preview(b)}`);
      }
    },
    shape: (path, detail) => mismatch(path, detail),
  });

  const metrics = { maxAbsError, maxRelError, compared, violations, mismatches };
  const tolerances = `absTol ${tolerance.absTol} + relTol ${tolerance.relTol}·|baseline|`;
  let reason: string | undefined;
  if (mismatches > 0) {
    reason = `output and baseline differ in structure or non-numeric values in ${mismatches} place${mismatches === 1 ? '' : 's'}, first ${firstMismatch}`;
  } else if (compared === 0) {
    reason = 'the selection contains no numbers to compare';
  } else if (violations > 0) {
    reason = `${violations} of ${compared} numbers differ by more than ${tolerances} (max abs error ${format(maxAbsError)} at ${worst?.path})`;
  }
  return { passed: reason === undefined, metrics, differences, ...(reason ? { reason } : {}) };
}

function format(n: number): string {
  return Number(n.toPrecision(3)).toString();
}
