#!/usr/bin/env node
'use strict';
// `pgperf lsp --stdio` goes straight to the language server bundle (the CLI bundle is not needed there).
if (process.argv[2] === 'lsp' && process.argv.includes('--stdio')) {
  require('../dist/server.js');
} else {
  require('../dist/cli.js')
    .main(process.argv.slice(2))
    .then((code) => {
      process.exitCode = code;
    });
}
