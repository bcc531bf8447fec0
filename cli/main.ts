import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Command, CommanderError } from 'commander';
import { ExitCode, toCliError, type ExitCodeValue } from './cli-errors';
import { ignoreClosedPipes } from './closed-pipe';
import type { SetExitCode } from './command';

/* eslint-disable @typescript-eslint/no-require-imports -- loaded on use, see commandsFor */
/** Each command by name, in the order help lists them; a command's module is loaded only when it is built. */
const COMMANDS: Record<string, () => (setExitCode: SetExitCode) => Command> = {
  deploy: () => (require('./commands/deploy') as typeof import('./commands/deploy')).deployCommand,
  invoke: () => (require('./commands/invoke') as typeof import('./commands/invoke')).invokeCommand,
  status: () => (require('./commands/status') as typeof import('./commands/status')).statusCommand,
  history: () => (require('./commands/history') as typeof import('./commands/history')).historyCommand,
  report: () => (require('./commands/report') as typeof import('./commands/report')).reportCommand,
  local: () => (require('./commands/local-up') as typeof import('./commands/local-up')).localCommand,
  demo: () => (require('./commands/demo') as typeof import('./commands/demo')).demoCommand,
};
/* eslint-enable @typescript-eslint/no-require-imports */

/**
 * The commands to build for a command line: only the one it names, since each loads the AWS SDK clients it uses
 * (seconds, for all of them) — `aep local up` should not pay for `aep deploy`. Anything else (help, a typo) gets
 * them all, so help and commander's "unknown command" suggestions are complete.
 */
function commandsFor(argv: string[]): string[] {
  const name = argv[2];
  return name !== undefined && Object.hasOwn(COMMANDS, name) ? [name] : Object.keys(COMMANDS);
}

/**
 * The `aep` command: builds the program, runs one command, and turns its outcome into an exit code
 * (see cli-errors.ts). Returns the code rather than exiting, so tests can run it in-process.
 */
export async function main(argv: string[]): Promise<ExitCodeValue> {
  ignoreClosedPipes();
  let code: ExitCodeValue = ExitCode.Succeeded;
  const setExitCode = (c: ExitCodeValue) => {
    code = c;
  };
  const program = new Command('aep')
    .description('Deploy models to SageMaker asynchronous inference endpoints through the aep Step Functions workflow — in AWS or on the embedded AWS.')
    .version(version(), '--version')
    .showHelpAfterError('(run with --help for usage and examples)');
  for (const name of commandsFor(argv)) program.addCommand(COMMANDS[name]()(setExitCode));
  applyToAll(program, (c) => c.exitOverride());

  try {
    await program.parseAsync(argv);
    return code;
  } catch (error) {
    if (error instanceof CommanderError) {
      // --help and --version "fail" with exit code 0; every other commander error is bad usage.
      return error.exitCode === 0 ? ExitCode.Succeeded : ExitCode.Usage;
    }
    const failure = toCliError(error, process.env.AWS_ENDPOINT_URL);
    process.stderr.write(`aep: ${failure.message}\n${failure.hint ? `  ${failure.hint}\n` : ''}`);
    if (argv.includes('--json')) {
      process.stdout.write(`${JSON.stringify({ error: { name: failure.name, message: failure.message, hint: failure.hint }, exitCode: failure.exitCode }, null, 2)}\n`);
    }
    return failure.exitCode;
  }
}

function applyToAll(command: Command, configure: (c: Command) => void): void {
  configure(command);
  for (const sub of command.commands) applyToAll(sub, configure);
}

/** The version in aep's package.json: one folder up from cli/ in the repository, two from dist/cli/ in the package. */
function version(): string {
  const file = [join(__dirname, '..', 'package.json'), join(__dirname, '..', '..', 'package.json')].find((f) => existsSync(f));
  return file ? (JSON.parse(readFileSync(file, 'utf8')) as { version: string }).version : 'unknown';
}
