/** The status bar item's text and tooltip (client/src/ui/status.ts) from `pgperf/status` notifications. */
import { describe, expect, it } from 'vitest';
import { formatPhase, formatStatus, isStatusParams, type StatusParams } from '../../client/src/ui/status';

const ready = (over: Partial<StatusParams> = {}): StatusParams => ({
  state: 'ready',
  files: 12,
  statements: 340,
  findings: { error: 1, warning: 3, info: 5 },
  syntaxErrors: 0,
  ms: 120,
  ...over,
});

describe('formatStatus', () => {
  it('shows files and error/warning counts when ready', () => {
    const v = formatStatus(ready());
    expect(v.text).toBe('$(database) pgperf 12 files · $(error) 1 $(warning) 3');
    expect(v.warning).toBe(false);
    expect(v.tooltip.split('\n')).toEqual([
      'pgperf: analysis up to date',
      '12 files, 340 statements in 120 ms',
      '1 error, 3 warnings, 5 infos',
      'Click to show the pgperf output',
    ]);
  });

  it('leaves out zero counts, falls back to infos, then to a check mark', () => {
    expect(formatStatus(ready({ findings: { error: 0, warning: 2, info: 1 } })).text).toBe('$(database) pgperf 12 files · $(warning) 2');
    expect(formatStatus(ready({ findings: { error: 0, warning: 0, info: 4 } })).text).toBe('$(database) pgperf 12 files · $(info) 4');
    expect(formatStatus(ready({ files: 1, findings: { error: 0, warning: 0, info: 0 } })).text).toBe('$(database) pgperf 1 file · $(check)');
  });

  it('spins while scanning', () => {
    const v = formatStatus(ready({ state: 'scanning', files: 412, ms: undefined }));
    expect(v.text).toBe('$(sync~spin) pgperf 412 files…');
    expect(v.tooltip.split('\n').slice(0, 2)).toEqual(['pgperf: analysing SQL files…', '412 files, 340 statements']);
  });

  it('mentions syntax errors, thousands separators and seconds in the tooltip', () => {
    const v = formatStatus(ready({ statements: 55443, syntaxErrors: 1, ms: 2260 }));
    expect(v.tooltip).toContain('12 files, 55,443 statements in 2.3 s');
    expect(v.tooltip).toContain('1 error (1 syntax error), 3 warnings, 5 infos');
  });
});

describe('formatPhase', () => {
  it('distinguishes starting, running, stopped and failed', () => {
    expect(formatPhase('starting')).toMatchObject({ text: '$(sync~spin) pgperf', warning: false });
    expect(formatPhase('running')).toMatchObject({ text: '$(database) pgperf', warning: false });
    expect(formatPhase('stopped')).toMatchObject({ text: '$(database) pgperf: stopped', warning: true });
    const failed = formatPhase('failed', 'spawn node ENOENT');
    expect(failed).toMatchObject({ text: '$(error) pgperf', warning: true });
    expect(failed.tooltip).toContain('could not start: spawn node ENOENT');
  });
});

describe('isStatusParams', () => {
  it('accepts the contract shape, with and without ms', () => {
    expect(isStatusParams(ready())).toBe(true);
    expect(isStatusParams(ready({ ms: undefined }))).toBe(true);
  });
  it('rejects malformed params', () => {
    expect(isStatusParams(null)).toBe(false);
    expect(isStatusParams({ ...ready(), state: 'busy' })).toBe(false);
    expect(isStatusParams({ ...ready(), files: '12' })).toBe(false);
    expect(isStatusParams({ ...ready(), findings: { error: 1, warning: 2 } })).toBe(false);
    expect(isStatusParams({ ...ready(), ms: Number.NaN })).toBe(false);
  });
});
