/** What one comparison mode concludes; the handler turns `reason` into the case's one-sentence cause. */
export interface ComparisonOutcome {
  passed: boolean;
  metrics: Record<string, number>;
  /** Why the case failed, without the "case <name>:" prefix; absent when it passed. */
  reason?: string;
  /** The first places the documents differ, for the report. */
  differences?: Difference[];
}

export interface Difference {
  path: string;
  detail: string;
}

/** How many differing paths a report lists; the metrics still count them all. */
export const MAX_REPORTED_DIFFERENCES = 20;
