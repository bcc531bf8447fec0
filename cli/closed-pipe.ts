/**
 * `aep history | head` closes stdout early. The write that follows fails with EPIPE, which Node throws as an
 * uncaught error — exit 1, which for aep means "the gate failed", after a deployment that may have succeeded.
 * A closed reader only means nobody reads the rest: stop writing to that stream and keep the command's exit code.
 */
const handled = new WeakSet<NodeJS.WriteStream>();

export function ignoreClosedPipes(streams: NodeJS.WriteStream[] = [process.stdout, process.stderr]): void {
  for (const stream of streams) {
    if (handled.has(stream)) continue;
    handled.add(stream);
    stream.on('error', (error: NodeJS.ErrnoException) => {
      if (error.code !== 'EPIPE') throw error;
      stream.write = (() => true) as typeof stream.write;
    });
  }
}
