/** Resolves with the name of the first SIGINT or SIGTERM `signals` emits (a process, or a test's emitter). */
export function untilStopSignal(signals: Pick<NodeJS.EventEmitter, 'once' | 'off'> = process): Promise<'SIGINT' | 'SIGTERM'> {
  return new Promise((resolve) => {
    const stop = (name: 'SIGINT' | 'SIGTERM') => () => {
      signals.off('SIGINT', onInt);
      signals.off('SIGTERM', onTerm);
      resolve(name);
    };
    const onInt = stop('SIGINT');
    const onTerm = stop('SIGTERM');
    signals.once('SIGINT', onInt);
    signals.once('SIGTERM', onTerm);
  });
}
