#!/usr/bin/env node
'use strict';
// The `aep` command. TypeScript sources run through tsx, resolved from this file, so it works from any cwd
// and from node_modules/.bin when aep is installed as a dependency.
// aep needs Node 22 or later (the Lambda runtime it deploys to); on an older Node the SDK's upgrade notice is noise
// next to aep's own output.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
// V8's code cache on disk (Node 22.1+): every start compiles the AWS SDK and the sources again otherwise.
require('node:module').enableCompileCache?.();
require('tsx/cjs/api').register();
require('./main.ts')
  .main(process.argv)
  .then((code) => {
    process.exitCode = code;
  });
