import { readdirSync, readFileSync } from 'node:fs';

/**
 * Resident memory of this process and every descendant (model servers, their supervisors), read from /proc.
 * Off Linux there is no /proc: only this process is counted, and `includesChildren` says so.
 */
export function treeRssBytes(rootPid = process.pid): { bytes: number; includesChildren: boolean } {
  let stats: { pid: number; ppid: number; rss: number }[];
  try {
    stats = readdirSync('/proc')
      .filter((d) => /^\d+$/.test(d))
      .flatMap((d) => {
        try {
          const status = readFileSync(`/proc/${d}/status`, 'utf8');
          const ppid = Number(/^PPid:\s+(\d+)/m.exec(status)?.[1]);
          const rssKb = Number(/^VmRSS:\s+(\d+) kB/m.exec(status)?.[1] ?? 0);
          return [{ pid: Number(d), ppid, rss: rssKb * 1024 }];
        } catch {
          return []; // exited while we looked
        }
      });
  } catch {
    return { bytes: process.memoryUsage().rss, includesChildren: false };
  }
  const children = new Map<number, number[]>();
  for (const s of stats) children.set(s.ppid, [...(children.get(s.ppid) ?? []), s.pid]);
  const rss = new Map(stats.map((s) => [s.pid, s.rss]));
  let bytes = 0;
  const pending = [rootPid];
  while (pending.length > 0) {
    const pid = pending.pop()!;
    bytes += rss.get(pid) ?? 0;
    pending.push(...(children.get(pid) ?? []));
  }
  return { bytes, includesChildren: true };
}

/** Samples treeRssBytes every `intervalMs` until stopped; returns the peak. */
export function samplePeakRss(intervalMs = 200): { stop(): { peakBytes: number; includesChildren: boolean } } {
  let peak = treeRssBytes();
  const timer = setInterval(() => {
    const now = treeRssBytes();
    if (now.bytes > peak.bytes) peak = now;
  }, intervalMs);
  return {
    stop() {
      clearInterval(timer);
      const now = treeRssBytes();
      if (now.bytes > peak.bytes) peak = now;
      return { peakBytes: peak.bytes, includesChildren: peak.includesChildren };
    },
  };
}
