import { Command, Option } from 'commander';
import { UsageError, type ExitCodeValue } from './cli-errors';

/** How a command reports its exit code to main (failures are thrown as CliError instead). */
export type SetExitCode = (code: ExitCodeValue) => void;

/** A command with real examples under its --help. */
export function defineCommand(name: string, description: string, examples: string[]): Command {
  return new Command(name)
    .description(description)
    .addHelpText('after', `\nExamples:\n${examples.map((e) => `  $ ${e}`).join('\n')}\n`);
}

export const jsonOption = () => new Option('--json', 'print one JSON document on stdout (progress still goes to stderr)');

/** `--timeout 900` → 900: a whole number > 0. */
export function positiveInteger(flag: string) {
  return (text: string): number => {
    const value = Number(text);
    if (!Number.isInteger(value) || value <= 0) throw new UsageError(`${flag} must be a whole number > 0, not "${text}"`);
    return value;
  };
}

/** Repeatable option collector: `--set a=1 --set b=2`. */
export const collect = (value: string, previous: string[] = []): string[] => [...previous, value];
