/**
 * The server's state, in one place (as rust-analyzer's GlobalState): the open documents, the workspace model, file
 * identities, the scheduler, the configuration and what the client can do. Handlers receive it; each part keeps its
 * own fields.
 */
import { TextDocuments, type Connection } from 'vscode-languageserver/node';
import { TextDocument } from 'vscode-languageserver-textdocument';
import { inScope } from '../ide/scope';
import { Workspace } from '../ide/workspace';
import { Configuration } from './configuration';
import { FileIds } from './identity';
import { Publisher } from './publish';
import { Scheduler } from './scheduler';

export class ServerState {
  readonly documents = new TextDocuments(TextDocument);
  readonly ws = new Workspace();
  readonly ids = new FileIds();
  readonly publisher: Publisher;
  readonly scheduler: Scheduler;
  readonly configuration: Configuration;
  /** Whether the client shows work-done progress (the scan reports it). */
  canProgress = false;
  /** Whether the client registers file watchers for the server. */
  canWatch = false;

  constructor(readonly connection: Connection) {
    this.publisher = new Publisher(connection, this.ws, this.ids, (uri) => this.documents.get(uri)?.version);
    this.scheduler = new Scheduler(this.ws, (key) => this.ids.pathOf(key), {
      linted: (key) => {
        this.publisher.diagnostics(key);
        this.publisher.internalErrors();
      },
      idle: () => this.publisher.status('ready'),
    });
    this.configuration = new Configuration(connection);
  }

  log(msg: string): void {
    this.connection.console.log(`[pgperf] ${msg}`);
  }

  /** Whether the workspace scan would read this file (a document that is no file, an untitled one, always counts). */
  inScope(key: string): boolean {
    if (!key.startsWith('file:')) return true;
    const path = this.ids.inFolder(key);
    return path !== undefined && inScope(this.ws, path);
  }
}
