import { spawn, type ChildProcess } from 'node:child_process';
import { createWriteStream, mkdirSync, type WriteStream } from 'node:fs';
import { Agent, request } from 'node:http';
import { dirname, join } from 'node:path';
import type { Readable } from 'node:stream';
import { LOOPBACK } from '../dispatcher';
import { HostingError } from './errors';
import { freeLoopbackPort } from './free-port';

const SUPERVISOR = join(__dirname, 'supervisor.cjs');
const STDERR_TAIL_LINES = 20;
const PING_INTERVAL_MS = 100;

export interface ContainerLaunch {
  /** argv of the model server, already resolved. */
  command: string[];
  env: Record<string, string>;
  cwd: string;
  /** Where stdout and stderr go (the local stand-in for the endpoint's CloudWatch log stream). */
  logFile: string;
  stopGraceMs: number;
}

export type ExitStatus = { code: number | string };

/**
 * One model-server process, i.e. one instance of a production variant: it owns its port, its supervisor and
 * the tail of its stderr. Its children die with it and with the embedded AWS (see supervisor.cjs).
 */
export class ContainerProcess {
  /** Requests in flight on this instance; the async queue keeps it ≤ MaxConcurrentInvocationsPerInstance. */
  inFlight = 0;
  /**
   * Keep-alive connections to this server, shared by every invocation: a TCP handshake per request cost more
   * CPU than the request itself. Destroyed when the process exits.
   */
  readonly agent = new Agent({ keepAlive: true });
  /** pid of the model server itself (not its supervisor), once started. */
  pid?: number;
  readonly exited: Promise<ExitStatus>;
  /** stop() was called: an exit after it is no failure of the instance. */
  stopRequested = false;
  private exitStatus?: ExitStatus;
  private readonly stderrLines: string[] = [];
  private readonly log: WriteStream;

  private constructor(
    private readonly child: ChildProcess,
    readonly port: number,
    private readonly launch: ContainerLaunch,
  ) {
    mkdirSync(dirname(launch.logFile), { recursive: true });
    this.log = createWriteStream(launch.logFile, { flags: 'a' });
    child.stdout?.pipe(this.log, { end: false });
    child.stderr?.on('data', (chunk: Buffer) => {
      this.log.write(chunk);
      this.stderrLines.push(...chunk.toString('utf8').split('\n').filter((l) => l.trim() !== ''));
      this.stderrLines.splice(0, Math.max(0, this.stderrLines.length - STDERR_TAIL_LINES));
    });
    const control = child.stdio[3] as Readable | null;
    let reported: string | undefined;
    control?.on('data', (chunk: Buffer) => {
      for (const line of chunk.toString('utf8').split('\n')) {
        const [kind, value] = line.split(' ');
        if (kind === 'pid') this.pid = Number(value);
        if (kind === 'exit') reported = value;
      }
    });
    this.exited = new Promise((resolve) => {
      child.on('close', (code, signal) => {
        const value = reported ?? code ?? signal ?? 'unknown';
        this.exitStatus = { code: /^\d+$/.test(String(value)) ? Number(value) : String(value) };
        // When the supervisor itself was killed (SIGKILL) the model server outlives it: stop its group, or it holds the port.
        if (this.pid) signalGroup(this.pid, 'SIGKILL');
        this.log.end();
        this.agent.destroy();
        resolve(this.exitStatus);
      });
    });
  }

  static async start(launch: ContainerLaunch): Promise<ContainerProcess> {
    const port = await freeLoopbackPort();
    const [command, ...args] = launch.command;
    const child = spawn(process.execPath, [SUPERVISOR, String(launch.stopGraceMs), command, ...args], {
      cwd: launch.cwd,
      env: { ...launch.env, SAGEMAKER_BIND_TO_PORT: String(port) },
      stdio: ['pipe', 'pipe', 'pipe', 'pipe'],
      // Own process group: a Ctrl-C on the terminal reaches the server, which stops instances in order.
      detached: true,
    });
    return new ContainerProcess(child, port, launch);
  }

  get running(): boolean {
    return this.exitStatus === undefined;
  }

  get url(): string {
    return `http://${LOOPBACK}:${this.port}`;
  }

  /**
   * True when the process exited because its port was taken between freeLoopbackPort() and its own bind (the race
   * free-port.ts cannot close): starting again on a fresh port is the remedy.
   */
  get lostPortRace(): boolean {
    return !this.running && this.stderrLines.some((line) => /EADDRINUSE|address already in use/i.test(line));
  }

  stderrTail(lines = 5): string {
    return this.stderrLines.slice(-lines).join('\n');
  }

  /** Waits for GET /ping → 200 (SageMaker's health check); fails fast when the process exits. */
  async waitHealthy(timeoutMs: number): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    let last = 'no answer';
    while (Date.now() < deadline) {
      if (!this.running) throw this.exitedError();
      const answer = await ping(this.url, Math.min(2000, Math.max(1, deadline - Date.now())));
      if (answer === '200') return;
      // an HTTP status says more than the timeout of a last ping cut short by the deadline (a busy machine)
      if (/^\d{3}$/.test(answer) || !/^\d{3}$/.test(last)) last = answer;
      const exited = await within(this.exited, PING_INTERVAL_MS);
      if (exited) throw this.exitedError();
    }
    const seconds = Math.round(timeoutMs / 100) / 10;
    throw new HostingError(
      `The primary container did not pass the ping health check: GET /ping on port ${this.port} was not 200 within ${seconds} s (last: ${last}). ` +
        `Check that the server listens on SAGEMAKER_BIND_TO_PORT and answers /ping.${this.stderrHint()}`,
    );
  }

  /** SIGTERM, then SIGKILL after the grace period (the supervisor escalates; we back it up). */
  async stop(): Promise<void> {
    this.stopRequested = true;
    if (!this.running) return;
    this.child.kill('SIGTERM');
    this.child.stdin?.end();
    const killed = await within(this.exited, this.launch.stopGraceMs + 2000);
    if (killed) return;
    if (this.pid) signalGroup(this.pid, 'SIGKILL');
    this.child.kill('SIGKILL');
    await this.exited;
  }

  private exitedError(): HostingError {
    return new HostingError(`The primary container exited with code ${this.exitStatus?.code} before passing the ping health check.${this.stderrHint()}`);
  }

  private stderrHint(): string {
    // Locally the container's "CloudWatch log stream" is a file: name it, so the reader can open the whole log.
    const tail = this.stderrTail();
    return `${tail ? ` Last stderr lines:\n${tail}\n` : ' '}Container log: ${this.launch.logFile}`;
  }
}

function signalGroup(pgid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(-pgid, signal);
  } catch {
    // Already gone.
  }
}

/** `promise`'s value, or undefined after `ms` — without leaving a timer behind either way. */
async function within<T>(promise: Promise<T>, ms: number): Promise<T | undefined> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<undefined>((resolve) => (timer = setTimeout(() => resolve(undefined), ms)));
  try {
    return await Promise.race([promise, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

/** One GET /ping: '200', another status, or the connection error's code. */
function ping(baseUrl: string, timeoutMs: number): Promise<string> {
  return new Promise((resolve) => {
    const req = request(`${baseUrl}/ping`, { method: 'GET', timeout: timeoutMs, agent: false }, (res) => {
      res.resume();
      resolve(String(res.statusCode));
    });
    req.on('timeout', () => req.destroy(Object.assign(new Error('timeout'), { code: 'ETIMEDOUT' })));
    req.on('error', (error: NodeJS.ErrnoException) => resolve(error.code ?? error.message));
    req.end();
  });
}
