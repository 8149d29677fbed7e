/**
 * The language server: LSP wiring over ide/ (the editor features) and analysis/ (the linter). The state lives in
 * ServerState, the timing of analysis in the Scheduler, configuration in Configuration, the workspace scan in
 * scan.ts; the handlers in handlers/ move data between them and the client.
 */
import type { Connection } from 'vscode-languageserver/node';
import { registerLifecycle } from './handlers/lifecycle';
import { registerNotifications } from './handlers/notifications';
import { registerRequests } from './handlers/requests';
import { ServerState } from './state';

/** Starts serving on `connection`; the state is returned for tests that look at it from inside the process. */
export function startServer(connection: Connection): ServerState {
  const state = new ServerState(connection);
  registerLifecycle(state);
  registerNotifications(state);
  registerRequests(state);
  state.documents.listen(connection);
  connection.listen();
  return state;
}
