import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

const PROJECT_ROOT = fileURLToPath(new URL('../..', import.meta.url));

/**
 * Runs `cdk synth` for this project (or another app file of it) into `outdir` with the given context, offline:
 * the same command a user deploys with, so the local mode runs what would be deployed.
 *
 * @example
 * await synthesizeStack('.local-data/cdk.out', { instanceIds: 'instance-1', maxReceiveCount: '3' });
 */
export async function synthesizeStack(
  outdir: string,
  context: Readonly<Record<string, string>>,
  app?: string,
): Promise<void> {
  const args = [
    'cdk',
    'synth',
    // Another app file (an example with a transfer rule) runs the same way the project's own does.
    ...(app ? ['--app', `npx tsx ${app}`] : []),
    '--quiet',
    '--output',
    outdir,
    ...Object.entries(context).flatMap(([k, v]) => ['-c', `${k}=${v}`]),
  ];
  await promisify(execFile)('npx', args, {
    cwd: PROJECT_ROOT,
    env: { ...process.env, CDK_DISABLE_VERSION_CHECK: 'true' },
  });
}
