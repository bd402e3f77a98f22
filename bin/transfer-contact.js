#!/usr/bin/env node
// The `transfer-contact` executable: the compiled CLI (dist/, built by `npm run build` on install and pack).
import '../dist/esm/src/cli/bin.js';
