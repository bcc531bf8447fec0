import { Command, CommanderError } from 'commander';
import { ExitCode, toCliError, type ExitCodeValue } from './cli-errors';
import { ignoreClosedPipes } from './closed-pipe';
import { demoCommand } from './commands/demo';
import { deployCommand } from './commands/deploy';
import { historyCommand } from './commands/history';
import { invokeCommand } from './commands/invoke';
import { localCommand } from './commands/local-up';
import { reportCommand } from './commands/report';
import { statusCommand } from './commands/status';

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
    .showHelpAfterError('(run with --help for usage and examples)')
    .addCommand(deployCommand(setExitCode))
    .addCommand(invokeCommand(setExitCode))
    .addCommand(statusCommand(setExitCode))
    .addCommand(historyCommand(setExitCode))
    .addCommand(reportCommand(setExitCode))
    .addCommand(localCommand(setExitCode))
    .addCommand(demoCommand(setExitCode));
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

function version(): string {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  return (require('../package.json') as { version: string }).version;
}
