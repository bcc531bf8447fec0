import type { FaultInjector } from './faults';

/** What fault rules call a write to the data dir: `{ "service": "disk", "operation": "write", "resource": <path part> }`. */
export const DISK_FAULT_SERVICE = 'disk';

/**
 * Fails a data-dir write the way the file system would when a `disk` fault rule matches its path: a Node error with
 * the rule's code (ENOSPC, EIO…), so every store meets the same error a full disk gives, without filling one.
 */
export function checkWriteFault(faults: FaultInjector | undefined, path: string): void {
  const fault = faults?.check({ service: DISK_FAULT_SERVICE, operation: 'write', resource: path });
  if (!fault || !('error' in fault)) return;
  const { code, message } = fault.error;
  throw Object.assign(new Error(`${code}: ${message}, write '${path}'`), { code, syscall: 'write', path });
}
