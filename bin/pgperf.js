#!/usr/bin/env node
'use strict';
const { parseArgs } = require('node:util');

const args = process.argv.slice(2);

/** Whether `pgperf lsp …` asks for help, read as the CLI reads it (not after "--"; `-h`, `--help`, in a short group). */
function asksHelp(lspArgs) {
  const { tokens } = parseArgs({
    args: lspArgs,
    options: { help: { type: 'boolean', short: 'h' }, stdio: { type: 'boolean' } },
    strict: false,
    allowPositionals: true,
    tokens: true,
  });
  return tokens.some((t) => t.kind === 'option' && t.name === 'help');
}

// `pgperf lsp --stdio` goes straight to the language server bundle (the CLI bundle is not needed there); with
// --help the CLI prints lsp's usage instead of starting a server that waits on stdin.
if (args[0] === 'lsp' && args.includes('--stdio') && !asksHelp(args.slice(1))) {
  require('../dist/server.js');
} else {
  require('../dist/cli.js')
    .main(args)
    .then((code) => {
      process.exitCode = code;
    });
}
