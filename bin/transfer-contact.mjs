#!/usr/bin/env node
// The `transfer-contact` executable: runs the TypeScript CLI through tsx, so no build step is needed.
import { register } from 'tsx/esm/api';

// The AWS SDK warns on every import under Node.js 20 that future versions will need Node.js 22; that
// notice is not about this command, so it is kept out of its output. Every other warning still shows.
const emitWarning = process.emitWarning.bind(process);
process.emitWarning = (warning, ...rest) => {
  const type = typeof rest[0] === 'string' ? rest[0] : rest[0]?.type;
  if (type === 'NodeVersionSupportWarning' || warning?.name === 'NodeVersionSupportWarning') return;
  emitWarning(warning, ...rest);
};

register();
const { runCli } = await import('../src/cli/main.ts');
process.exitCode = await runCli(process.argv.slice(2));
