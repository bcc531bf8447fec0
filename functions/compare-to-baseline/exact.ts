import { preview, walkPairs } from './json-pairs';
import { MAX_REPORTED_DIFFERENCES, type ComparisonOutcome, type Difference } from './outcome';

/** `exact`: the selections must be deeply equal. Metrics: equal (0|1) and the number of differing places. */
export function compareExact(output: unknown, baseline: unknown): ComparisonOutcome {
  let count = 0;
  const differences: Difference[] = [];
  const record = (path: string, detail: string) => {
    count++;
    if (differences.length < MAX_REPORTED_DIFFERENCES) differences.push({ path, detail });
  };
  walkPairs(output, baseline, {
    leaf: (path, a, b) => {
      if (a !== b) record(path, `output ${preview(a)} ≠ baseline ${preview(b)}`);
    },
    shape: record,
  });
  const passed = count === 0;
  return {
    passed,
    metrics: { equal: passed ? 1 : 0, differences: count },
    differences,
    ...(passed
      ? {}
      : {
          reason:
            `output differs from the baseline in ${count} place${count === 1 ? '' : 's'}, first ` +
            differences
              .slice(0, 3)
              .map((d) => `${d.path} (${d.detail})`)
              .join(', '),
        }),
  };
}
