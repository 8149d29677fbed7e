/**
 * The language server process: `node dist/server.js --stdio` (other editors, `pgperf lsp --stdio`) or
 * `--node-ipc` (VS Code). vscode-languageserver picks the transport from the command line.
 */
import { createConnection, ProposedFeatures } from 'vscode-languageserver/node';
import { startServer } from './server';

startServer(createConnection(ProposedFeatures.all));
