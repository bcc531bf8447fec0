#!/usr/bin/env node
'use strict';
// The `aep` command. TypeScript sources run through tsx, resolved from this file, so it works from any cwd
// and from node_modules/.bin when aep is installed as a dependency.
// aep supports Node 20 on purpose (the Lambda runtime it deploys to); the SDK's upgrade notice would only be noise.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
require('tsx/cjs/api').register();
require('./main.ts')
  .main(process.argv)
  .then((code) => {
    process.exitCode = code;
  });
