/**
 * A process-wide setting of the step handlers' clients that every embedded AWS in the process needs while it runs
 * (tests start several at once): set by the first that installs it, cleared when the last lets go. Each release
 * function works once, so a double stop cannot clear it under another instance.
 */
export function sharedInstall<T>(set: (value: T | undefined) => void, value: T): () => () => void {
  let users = 0;
  return () => {
    if (users++ === 0) set(value);
    let released = false;
    return () => {
      if (released) return;
      released = true;
      if (--users === 0) set(undefined);
    };
  };
}
