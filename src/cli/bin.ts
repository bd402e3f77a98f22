#!/usr/bin/env node
// The `transfer-contact` executable (compiled JavaScript in the package: no TypeScript at run time).

// The SDK's notice that its 2027 releases need Node.js 22 is not about this command: the SDK's own switch
// keeps it out of the output (a user can still set the variable to false). Set before the SDK loads.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';

void import('./main.js').then(async ({ runCli }) => {
  process.exitCode = await runCli(process.argv.slice(2));
});
