/** Where a command writes and what it reads from its environment: the process's, or a test's. */
export interface CliIo {
  readonly stdout: (text: string) => void;
  readonly stderr: (text: string) => void;
  readonly env: Readonly<Record<string, string | undefined>>;
  /** Reads a `file://` input. */
  readonly readFile: (path: string) => string;
}

/** Exit codes, as the AWS CLI's users expect them. */
export const ExitCode = { Ok: 0, AwsError: 1, Usage: 2 } as const;

/** A mistake on the command line or in the request: exit code 2, with a message naming the field. */
export class UsageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'UsageError';
  }
}

/** Prints a value as the AWS CLI's JSON output does. */
export const printJson = (io: CliIo, value: unknown): void =>
  io.stdout(`${JSON.stringify(value, null, 4)}\n`);
