#!/usr/bin/env node
'use strict';
// The `aep` command. In the installed package it runs the compiled CLI (dist/cli/main.js); in a clone of the
// repository, where cli/main.ts sits next to this file, it runs the TypeScript sources through tsx (a
// devDependency), so development never runs a stale build. Resolved from this file: it works from any cwd and from
// node_modules/.bin.
// aep needs Node 22 or later (the Lambda runtime it deploys to); on an older Node the SDK's upgrade notice is noise
// next to aep's own output.
const { existsSync } = require('node:fs');
const { join } = require('node:path');

process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
// V8's code cache on disk (Node 22.1+): every start compiles the AWS SDK and the sources again otherwise.
require('node:module').enableCompileCache?.();
const sources = join(__dirname, 'main.ts');
let cli;
if (existsSync(sources)) {
  require('tsx/cjs/api').register();
  cli = require(sources);
} else {
  cli = require('../dist/cli/main.js');
}
cli.main(process.argv).then((code) => {
  process.exitCode = code;
});
