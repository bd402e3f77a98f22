/**
 * The option definitions of the connection flags, for `parseArgs`: apart from the SDK clients, so that a
 * command's `--help` and skeletons start without loading the AWS SDK.
 */
export const CONNECTION_OPTIONS = {
  'endpoint-url': { type: 'string' },
  region: { type: 'string' },
  profile: { type: 'string' },
} as const;
