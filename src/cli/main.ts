import { readFileSync } from 'node:fs';
import { type CliIo, ExitCode } from './io.js';

/**
 * The `transfer-contact` command line: send (the default), `status`, `dlq list|redrive`. Returns the exit
 * code: 0 done, 1 an AWS error (with the service's message), 2 a usage or validation error.
 *
 * @example
 * process.exitCode = await runCli(process.argv.slice(2));
 */
export async function runCli(argv: readonly string[], io: CliIo = processIo()): Promise<number> {
  const [command, ...rest] = argv;
  try {
    // Each command's module (and the SDK clients it needs) loads only when that command runs.
    if (command === 'status') await (await import('./statusCommand.js')).runStatus(rest, io);
    else if (command === 'dlq') await (await import('./dlqCommands.js')).runDlq(rest, io);
    else await (await import('./sendCommand.js')).runSend(argv, io);
    return ExitCode.Ok;
  } catch (error) {
    // By name: a command module loaded on demand may have its own copy of the class (a test runner's loader).
    if ((error instanceof Error && error.name === 'UsageError') || isArgumentError(error)) {
      io.stderr(`transfer-contact: ${(error as Error).message}\nSee transfer-contact --help.\n`);
      return ExitCode.Usage;
    }
    const e = error as Error & { $metadata?: { httpStatusCode?: number } };
    const status = e.$metadata?.httpStatusCode ? ` (HTTP ${e.$metadata.httpStatusCode})` : '';
    io.stderr(`transfer-contact: An error occurred (${e.name})${status}: ${e.message}\n`);
    return ExitCode.AwsError;
  }
}

/** `node:util` parseArgs errors: an unknown flag, a missing value. */
const isArgumentError = (error: unknown): boolean =>
  error instanceof Error && (error as Error & { code?: string }).code?.startsWith('ERR_PARSE_ARGS') === true;

/** The real process's streams and environment. */
export const processIo = (): CliIo => ({
  stdout: (text) => process.stdout.write(text),
  stderr: (text) => process.stderr.write(text),
  env: process.env,
  readFile: (path) => readFileSync(path, 'utf8'),
});
