#!/usr/bin/env node
// The `transfer-contact` executable: runs the TypeScript CLI through tsx, so no build step is needed.
import { register } from 'tsx/esm/api';

// The SDK's notice that its 2027 releases need Node.js 22 is not about this command: the SDK's own switch
// keeps it out of the output (a user can still set the variable to false).
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';

register();
const { runCli } = await import('../src/cli/main.ts');
process.exitCode = await runCli(process.argv.slice(2));
