/**
 * How requests are split between an endpoint's serving fleet and the fleet a blue/green update brings up: the new
 * fleet gets `share` of them. The split is a running count, not a coin toss, so a share of 0.5 really sends every
 * second request to the new fleet (tests and people can check the canary took exactly its share).
 */
export class TrafficSplit {
  private share = 0;
  private sent = 0;
  private sentToNew = 0;

  /** A new share (0..1) starts a new count: the steps of a canary or linear shift are each exact. */
  setShare(share: number): void {
    this.share = Math.min(1, Math.max(0, share));
    this.sent = 0;
    this.sentToNew = 0;
  }

  get newShare(): number {
    return this.share;
  }

  /** Where the next request goes, without counting it (a request may wait for a free instance first). */
  peek(): 'old' | 'new' {
    if (this.share >= 1) return 'new';
    if (this.share <= 0) return 'old';
    return this.sentToNew + 1 <= this.share * (this.sent + 1) + 1e-9 ? 'new' : 'old';
  }

  /** Counts a request sent to a fleet. */
  record(fleet: 'old' | 'new'): void {
    this.sent++;
    if (fleet === 'new') this.sentToNew++;
  }
}
