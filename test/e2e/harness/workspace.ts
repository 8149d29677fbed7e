/** A fresh copy of the fixture workspace per suite: tests edit files and settings in it. */
import { cpSync, mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { PROJECT } from './runtime';

/** User settings that keep a VS Code run quiet and offline (no telemetry, updates, start page, AI features or git). */
export const QUIET_SETTINGS = {
  'telemetry.telemetryLevel': 'off',
  'extensions.autoUpdate': false,
  'extensions.autoCheckUpdates': false,
  'update.mode': 'none',
  'workbench.startupEditor': 'none',
  'workbench.tips.enabled': false,
  'workbench.enableExperiments': false,
  'chat.disableAIFeatures': true,
  'git.enabled': false,
  'security.workspace.trust.enabled': false,
  'workbench.secondarySideBar.defaultVisibility': 'hidden',
};

/** The part of QUIET_SETTINGS a workspace may set (the rest is application-wide: VS Code refuses it there). */
const WORKSPACE_SETTINGS = {
  'workbench.startupEditor': 'none',
  'workbench.tips.enabled': false,
  'git.enabled': false,
};

export interface Scratch {
  /** The folder under which everything of this run lives. */
  dir: string;
  /** The copy of test/e2e/fixtures/workspace. */
  workspace: string;
}

export function scratchWorkspace(name: string, settings: Record<string, unknown> = {}): Scratch {
  const dir = mkdtempSync(join(tmpdir(), `pgperf-e2e-${name}-`));
  const workspace = join(dir, 'workspace');
  cpSync(resolve(PROJECT, 'test/e2e/fixtures/workspace'), workspace, { recursive: true });
  mkdirSync(join(workspace, '.vscode'));
  writeFileSync(join(workspace, '.vscode/settings.json'), JSON.stringify({ ...WORKSPACE_SETTINGS, ...settings }, null, 2));
  return { dir, workspace };
}
