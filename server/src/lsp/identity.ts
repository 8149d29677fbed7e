/**
 * File identities: every file is keyed by the canonical file URI of its path (clients spell URIs differently:
 * `file:///C%3A/…`, `file:///c:/…`), and known to the analysis by its path relative to its workspace folder.
 */
import { relative, sep } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { hostLanguageOf } from '../analysis/index';

/**
 * The host languages served besides `sql`, by LSP languageId, with the extension a document of that language is
 * parsed as when its name has none (an untitled editor, a script without an extension).
 */
const HOST_LANGUAGE_IDS: Readonly<Record<string, string>> = {
  typescript: '.ts',
  typescriptreact: '.tsx',
  javascript: '.js',
  javascriptreact: '.jsx',
  python: '.py',
  go: '.go',
  rust: '.rs',
};

export class FileIds {
  /** The workspace folders, as file-system paths. */
  folders: string[] = [];
  /** The URI the client named each open document by (diagnostics go back under it). */
  private readonly clientUris = new Map<string, string>();
  /** The languageId of each open document (what a document without a telling extension is parsed as). */
  private readonly languageIds = new Map<string, string>();

  keyOf(uri: string): string {
    return uri.startsWith('file:') ? pathToFileURL(fileURLToPath(uri)).href : uri;
  }

  /** The URI the client knows a file by. */
  clientUri(key: string): string {
    return this.clientUris.get(key) ?? key;
  }

  opened(key: string, uri: string, languageId: string): void {
    this.clientUris.set(key, uri);
    this.languageIds.set(key, languageId);
  }

  closed(key: string): void {
    this.clientUris.delete(key);
    this.languageIds.delete(key);
  }

  /** The path findings and messages use: relative to the file's workspace folder ('/'-separated), else absolute. */
  pathOf(key: string): string {
    let path = key;
    if (key.startsWith('file:')) {
      const fsPath = fileURLToPath(key);
      const root = this.folders.find((f) => fsPath === f || fsPath.startsWith(f + sep));
      path = (root ? relative(root, fsPath) : fsPath).split(sep).join('/');
    }
    // The analysis tells a host file by its extension: an untitled TypeScript editor is read as `….ts`.
    const ext = HOST_LANGUAGE_IDS[this.languageIds.get(key) ?? ''];
    if (ext && !hostLanguageOf(path) && !/\.sql$/i.test(path)) path += ext;
    return path;
  }

  /** The path of a file below a workspace folder, relative to it; undefined for a file outside every folder. */
  inFolder(key: string): string | undefined {
    const fsPath = fileURLToPath(key);
    const root = this.folders.find((f) => fsPath.startsWith(f + sep));
    return root === undefined ? undefined : relative(root, fsPath).split(sep).join('/');
  }
}
