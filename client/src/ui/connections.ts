/**
 * The active database of the VS Code client: a profile from `pgperf.connections` (password in SecretStorage
 * under `pgperf.password.<name>`, asked for on first connect) or the embedded PGlite database (the default, its
 * data directory in the extension's global storage, opened on first use). A status bar item shows which one and
 * the server version; commands add, pick, test and disconnect.
 *
 * Passwords never reach settings, the output channel or a webview: messages name a connection by its label.
 */
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import {
  ConfigurationTarget,
  type Disposable,
  type ExtensionContext,
  type LogOutputChannel,
  ProgressLocation,
  type QuickPickItem,
  QuickPickItemKind,
  StatusBarAlignment,
  type StatusBarItem,
  window,
  workspace,
} from 'vscode';
import { openEmbedded } from '../../../database/index';
import { openPostgres, poolSizeAdviceText } from '../../../database/index';
import { type ConnectionProfile, connectionProfileSchema, profileLabel, SSL_MODES, validateProfiles } from '../../../database/index';
import { type Database, DatabaseError } from '../../../database/index';

const SECTION = 'pgperf';
const ACTIVE_KEY = 'pgperf.activeConnection';
const EMBEDDED = '\u0000embedded';
const secretKey = (name: string) => `pgperf.password.${name}`;

/** "PG 15.19" from a server_version_num (150019). */
function shortVersion(num: number): string {
  return `PG ${Math.floor(num / 10000)}.${num % 10000}`;
}

/** Status bar text: "$(database) prod · PG 15.19" (pure). */
function statusText(name: string, version?: number, busy = false): string {
  return `${busy ? '$(sync~spin)' : '$(database)'} ${name}${version !== undefined ? ` · ${shortVersion(version)}` : ''}`;
}

export class Connections implements Disposable {
  private readonly item: StatusBarItem;
  private db: Database | undefined;
  private opening: Promise<Database> | undefined;
  private version: number | undefined;
  private readonly disposables: Disposable[] = [];

  constructor(
    private readonly context: ExtensionContext,
    private readonly output: LogOutputChannel,
  ) {
    this.item = window.createStatusBarItem('pgperf.connection', StatusBarAlignment.Left, -1);
    this.item.name = 'pgperf connection';
    this.item.command = 'pgperf.pickConnection';
    this.disposables.push(
      this.item,
      workspace.onDidChangeConfiguration((e) => {
        if (!e.affectsConfiguration(`${SECTION}.connections`)) return;
        this.reportProblems();
        // The active profile changed or went away: drop the open pool, reconnect on next use.
        const name = this.activeName();
        if (name !== EMBEDDED && !this.profiles().some((p) => p.name === name)) void this.select(EMBEDDED);
        else if (name !== EMBEDDED) void this.close();
        this.render();
      }),
    );
    this.reportProblems();
    this.render();
    this.item.show();
  }

  /** The profiles of the settings that validate (problems go to the output channel). */
  profiles(): ConnectionProfile[] {
    return validateProfiles(workspace.getConfiguration(SECTION).get('connections')).profiles;
  }

  private reportProblems(): void {
    const { problems } = validateProfiles(workspace.getConfiguration(SECTION).get('connections'));
    for (const p of problems) this.output.warn(`${p.path}: ${p.message}`);
    if (problems.some((p) => /password/i.test(p.path))) {
      void window.showWarningMessage(
        'pgperf: a connection in settings has a password field; it was ignored. Passwords belong in SecretStorage ' + '(pgperf asks on connect).',
      );
    }
  }

  /** The selected connection's name, or EMBEDDED. */
  activeName(): string {
    const name = this.context.workspaceState.get<string>(ACTIVE_KEY);
    return name && name !== EMBEDDED && this.profiles().some((p) => p.name === name) ? name : EMBEDDED;
  }

  isEmbedded(): boolean {
    return this.activeName() === EMBEDDED;
  }

  /** The active profile (undefined: the embedded database). */
  activeProfile(): ConnectionProfile | undefined {
    const name = this.activeName();
    return name === EMBEDDED ? undefined : this.profile(name);
  }

  private profile(name: string): ConnectionProfile | undefined {
    return this.profiles().find((p) => p.name === name);
  }

  private render(busy = false): void {
    const name = this.activeName();
    const shown = name === EMBEDDED ? 'embedded PGlite' : name;
    this.item.text = statusText(shown, this.db ? this.version : undefined, busy);
    const where = this.db?.label ?? (name === EMBEDDED ? 'embedded PGlite (opened on first use)' : profileLabel(this.profile(name)!));
    this.item.tooltip = `pgperf database: ${where}${this.db ? '' : ' — not connected'}\nClick to pick a connection`;
  }

  /** The active database, connected (asks for a password on the first connect to a profile). */
  async database(): Promise<Database> {
    if (this.db) return this.db;
    this.opening ??= this.open().finally(() => (this.opening = undefined));
    return this.opening;
  }

  /** The embedded database (used by "Load Workspace Schema" whatever the active connection is). */
  private embedded: Database | undefined;
  private embeddedOpening: Promise<{ db: Database; created: boolean }> | undefined;

  /** The embedded database's data directory: global storage, one per workspace (its schema is the workspace's). */
  embeddedDataDir(): string {
    const folders = (workspace.workspaceFolders ?? []).map((f) => f.uri.toString()).join('\n');
    const id = folders ? createHash('sha256').update(folders).digest('hex').slice(0, 16) : 'no-workspace';
    return join(this.context.globalStorageUri.fsPath, 'embedded', id);
  }

  /**
   * Opens the embedded database on first use. `created`: its data directory did not exist (a new, empty
   * database: the caller loads the workspace schema); `fresh` deletes the data directory first.
   */
  async embeddedDatabase(fresh = false): Promise<{ db: Database; created: boolean }> {
    if (fresh) await this.closeEmbedded();
    if (this.embedded) return { db: this.embedded, created: false };
    this.embeddedOpening ??= (async () => {
      const dataDir = this.embeddedDataDir();
      if (fresh) await rm(dataDir, { recursive: true, force: true });
      const created = !existsSync(dataDir);
      await mkdir(dataDir, { recursive: true });
      this.output.info(`opening the embedded database (PGlite) in ${dataDir}${created ? ' (new)' : ''}`);
      const t0 = Date.now();
      const db = await openEmbedded({
        dataDir,
        onRestart: (reason) => this.output.warn(`the embedded database was restarted (${reason}); committed data survives`),
      });
      this.output.info(`embedded database ready in ${Date.now() - t0} ms: ${db.label}`);
      this.embedded = db;
      if (this.isEmbedded()) {
        this.db = db;
        this.version = (await db.serverVersion()).num;
        this.render();
      }
      return { db, created };
    })().finally(() => (this.embeddedOpening = undefined));
    return this.embeddedOpening;
  }

  private async closeEmbedded(): Promise<void> {
    const db = this.embedded ?? (await this.embeddedOpening?.catch(() => undefined))?.db;
    this.embedded = undefined;
    if (this.db === db) {
      this.db = undefined;
      this.version = undefined;
    }
    if (db) await db.close().catch((e) => this.output.warn(`closing the embedded database: ${String(e)}`));
    this.render();
  }

  private async open(): Promise<Database> {
    const name = this.activeName();
    this.render(true);
    try {
      let db: Database;
      if (name === EMBEDDED) db = (await this.embeddedDatabase()).db;
      else db = await this.openProfile(this.profile(name)!);
      this.version = (await db.serverVersion()).num;
      this.db = db;
      return db;
    } finally {
      this.render();
    }
  }

  private async openProfile(profile: ConnectionProfile): Promise<Database> {
    const label = profileLabel(profile);
    for (let attempt = 0; ; attempt++) {
      let password = await this.context.secrets.get(secretKey(profile.name));
      if (password === undefined) {
        password = await window.showInputBox({
          title: `pgperf: password for ${label}`,
          prompt: `Password of user ${profile.user} (kept in VS Code SecretStorage; leave empty for none)`,
          password: true,
          ignoreFocusOut: true,
        });
        if (password === undefined) throw new DatabaseError('connection', `no password given for ${label}`);
        await this.context.secrets.store(secretKey(profile.name), password);
      }
      this.output.info(`connecting to ${label}`);
      const db = openPostgres(profile, password === '' ? undefined : password);
      try {
        const v = await db.serverVersion();
        this.output.info(`connected to ${label}: ${v.text}`);
        return db;
      } catch (e) {
        await db.close().catch(() => undefined);
        // Wrong password (28P01) or none given where one is needed (28000): forget it and ask once more.
        const code = (e as { code?: string }).code;
        if ((code === '28P01' || code === '28000') && attempt === 0) {
          await this.context.secrets.delete(secretKey(profile.name));
          void window.showWarningMessage(`pgperf: authentication failed for ${label}; enter the password again.`);
          continue;
        }
        throw e;
      }
    }
  }

  /** Closes the open connection (not the embedded database, which stays warm unless disposed). */
  private async close(): Promise<void> {
    const db = this.db;
    this.db = undefined;
    this.version = undefined;
    if (db && db !== this.embedded) await db.close().catch((e) => this.output.warn(`closing ${db.label}: ${String(e)}`));
    this.render();
  }

  private async select(name: string): Promise<void> {
    await this.close();
    await this.context.workspaceState.update(ACTIVE_KEY, name);
    this.render();
  }

  // Commands.

  /** pgperf.addConnection: input boxes → a profile in the user's `pgperf.connections`; password → SecretStorage. */
  async add(): Promise<void> {
    const title = 'pgperf: Add Connection';
    const existing = new Set(this.profiles().map((p) => p.name));
    const ask = (step: number, prompt: string, value?: string, validate?: (v: string) => string | undefined) =>
      window.showInputBox({ title: `${title} (${step}/6)`, prompt, value, ignoreFocusOut: true, validateInput: validate });
    const name = await ask(1, 'Name of the connection (e.g. "local", "staging")', undefined, (v) =>
      !v.trim() ? 'a name is required' : existing.has(v.trim()) ? `a connection named "${v.trim()}" exists` : undefined,
    );
    if (name === undefined) return;
    const host = await ask(2, 'Host', 'localhost', (v) => (v.trim() ? undefined : 'a host is required'));
    if (host === undefined) return;
    const portText = await ask(3, 'Port', '5432', (v) => (/^\d+$/.test(v.trim()) && +v > 0 && +v < 65536 ? undefined : 'a port number, 1–65535'));
    if (portText === undefined) return;
    const database = await ask(4, 'Database', 'postgres', (v) => (v ? undefined : 'a database is required'));
    if (database === undefined) return;
    const user = await ask(5, 'User', 'postgres', (v) => (v ? undefined : 'a user is required'));
    if (user === undefined) return;
    const ssl = await window.showQuickPick(
      SSL_MODES.map((m) => ({ label: m, description: m === 'prefer' ? 'default' : undefined })),
      { title: `${title} (6/6)`, placeHolder: 'SSL mode', ignoreFocusOut: true },
    );
    if (!ssl) return;
    const parsed = connectionProfileSchema.safeParse({
      name: name.trim(),
      host: host.trim(),
      port: Number(portText),
      database,
      user,
      sslmode: ssl.label,
    });
    if (!parsed.success) {
      void window.showErrorMessage(`pgperf: ${parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`);
      return;
    }
    const password = await window.showInputBox({
      title: `${title}: password`,
      prompt: `Password of ${user} (stored in VS Code SecretStorage, never in settings; leave empty for none)`,
      password: true,
      ignoreFocusOut: true,
    });
    if (password === undefined) return;
    const config = workspace.getConfiguration(SECTION);
    const global = (config.inspect<unknown[]>('connections')?.globalValue ?? []) as unknown[];
    await config.update('connections', [...global, parsed.data], ConfigurationTarget.Global);
    await this.context.secrets.store(secretKey(parsed.data.name), password);
    this.output.info(`added connection ${profileLabel(parsed.data)} (password in SecretStorage)`);
    await this.select(parsed.data.name);
    await this.test();
  }

  /** pgperf.pickConnection: the embedded database or a profile. */
  async pick(): Promise<void> {
    interface Item extends QuickPickItem {
      id: string;
    }
    const active = this.activeName();
    const items: Item[] = [
      {
        id: EMBEDDED,
        label: `${active === EMBEDDED ? '$(check) ' : ''}Embedded PGlite`,
        description: 'built in, no setup',
        detail: 'PostgreSQL in WASM with pgvector; "Load Workspace Schema" puts the project\'s tables in it',
      },
      ...this.profiles().map((p) => ({
        id: p.name,
        label: `${active === p.name ? '$(check) ' : ''}${p.name}`,
        description: `${p.host}:${p.port ?? 5432}/${p.database}`,
        detail: `user ${p.user}, sslmode ${p.sslmode ?? 'prefer'}${p.statementTimeoutMs !== undefined ? `, statement_timeout ${p.statementTimeoutMs} ms` : ''}`,
      })),
      { id: '', label: '', kind: QuickPickItemKind.Separator },
      { id: '\u0000add', label: '$(add) Add Connection…' },
    ];
    const chosen = await window.showQuickPick(items, { title: 'pgperf: database for EXPLAIN', placeHolder: 'Pick a connection' });
    if (!chosen) return;
    if (chosen.id === '\u0000add') return this.add();
    if (chosen.id !== active) await this.select(chosen.id);
  }

  /** pgperf.testConnection: connects, runs `SELECT 1`, reports the version and the round trip. */
  async test(): Promise<void> {
    try {
      const db = await window.withProgress({ location: ProgressLocation.Notification, title: 'pgperf: connecting…' }, () => this.database());
      const v = await db.serverVersion();
      const session = await db.session();
      const t0 = performance.now();
      try {
        await session.query('SELECT 1');
      } finally {
        await session.release();
      }
      const ms = performance.now() - t0;
      let sizing = '';
      if (db.kind === 'postgres') {
        // The guide sizes an application's pool from the server's cores and disks, which SQL cannot see: show the
        // formula with its SSD example beside what this server allows.
        const s2 = await db.session();
        try {
          const max = (await s2.query('SHOW max_connections')).rows[0]?.max_connections;
          sizing =
            `. Pool sizing (tuning guide): (server cores × 2) + spindles, e.g. 8 cores on SSD → ` +
            `${poolSizeAdviceText(8, 1)}; this server allows max_connections = ${String(max)}`;
        } finally {
          await s2.release();
        }
      }
      const message = `pgperf: connected to ${db.label} — ${v.text}, SELECT 1 in ${ms.toFixed(1)} ms${sizing}`;
      this.output.info(message);
      void window.showInformationMessage(message);
    } catch (e) {
      this.fail('the connection test failed', e);
    }
  }

  /** pgperf.disconnect: closes the connection and goes back to the embedded default. */
  async disconnect(): Promise<void> {
    const name = this.activeName();
    if (name === EMBEDDED && !this.embedded) {
      void window.showInformationMessage('pgperf: not connected to a server (the embedded database is the default).');
      return;
    }
    if (name === EMBEDDED) {
      await this.closeEmbedded();
      this.output.info('closed the embedded database');
      return;
    }
    await this.select(EMBEDDED);
    this.output.info(`disconnected from ${name}; the embedded database is active`);
    void window.showInformationMessage(`pgperf: disconnected from ${name}; EXPLAIN now uses the embedded database.`);
  }

  /** A failure as a message and a line in the output (never with a password: messages come from the server). */
  fail(what: string, e: unknown): void {
    const message = e instanceof Error ? e.message : String(e);
    this.output.error(`${what}: ${message}`);
    void window.showErrorMessage(`pgperf: ${what}: ${message}`);
  }

  dispose(): void {
    for (const d of this.disposables) d.dispose();
    const dbs = new Set([this.db, this.embedded].filter((d): d is Database => !!d));
    this.db = undefined;
    this.embedded = undefined;
    for (const db of dbs) void db.close().catch(() => undefined);
  }
}
