/** When the client restarts a crashed language server (client/src/restart-policy.ts): the limit, the window, the messages. */
import { describe, expect, it } from 'vitest';
import { DEFAULT_RESTARTS, RESTART_COMMAND, RestartPolicy } from '../../client/src/restart-policy';

/** A policy on a clock the test moves by hand. */
function policy(limit = 5, windowMs = 180_000) {
  let t = 1_000_000;
  const p = new RestartPolicy({ limit, windowMs }, () => t);
  return { p, advance: (ms: number) => (t += ms) };
}

describe('RestartPolicy', () => {
  it('defaults to 5 restarts in 3 minutes', () => {
    expect(DEFAULT_RESTARTS).toEqual({ limit: 5, windowMs: 180_000 });
  });

  it('restarts up to the limit, numbering each restart, then stops and names the command that restarts it', () => {
    const { p, advance } = policy(5);
    const messages: string[] = [];
    for (let i = 1; i <= 5; i++) {
      const d = p.crashed();
      expect(d).toMatchObject({ restart: true, attempt: i, limit: 5 });
      messages.push(d.message);
      advance(10_000);
    }
    expect(messages[0]).toBe('pgperf language server stopped; restarting (1 of 5)');
    expect(messages[4]).toBe('pgperf language server stopped; restarting (5 of 5)');
    expect(p.state()).toEqual({ recentCrashes: 5, gaveUp: false, limit: 5, windowMs: 180_000 });

    const last = p.crashed();
    expect(last).toMatchObject({ restart: false, crashes: 6, limit: 5 });
    expect(last.message).toBe(
      'pgperf language server stopped 6 times in 3 minutes and will not be restarted. ' +
        'Run "pgperf: Restart Language Server" (pgperf.restartServer) to start it again; the pgperf output has the details.',
    );
    expect(last.message).toContain(RESTART_COMMAND.id);
    expect(p.state().gaveUp).toBe(true);
  });

  it('forgets crashes older than the window: one crash a minute past the window is restarted for ever', () => {
    const { p, advance } = policy(2, 60_000);
    for (let i = 0; i < 20; i++) {
      expect(p.crashed()).toMatchObject({ restart: true, attempt: 1 });
      advance(60_000);
    }
  });

  it('counts a sliding window, not fixed buckets', () => {
    const { p, advance } = policy(2, 60_000);
    expect(p.crashed()).toMatchObject({ restart: true, attempt: 1 }); // t = 0
    advance(40_000);
    expect(p.crashed()).toMatchObject({ restart: true, attempt: 2 }); // t = 40 s
    advance(19_999);
    expect(p.crashed()).toMatchObject({ restart: false, crashes: 3 }); // t = 59.999 s: all three inside 60 s
  });

  it('restarts again once the oldest crash leaves the window', () => {
    const { p, advance } = policy(2, 60_000);
    p.crashed(); // t = 0
    advance(40_000);
    p.crashed(); // t = 40 s
    advance(20_000);
    // t = 60 s: the crash at 0 is exactly one window old and no longer counts.
    expect(p.crashed()).toMatchObject({ restart: true, attempt: 2 });
    expect(p.state().recentCrashes).toBe(2);
    advance(60_000);
    expect(p.state().recentCrashes).toBe(0);
  });

  it('starts afresh after a restart by hand', () => {
    const { p } = policy(1);
    expect(p.crashed().restart).toBe(true);
    expect(p.crashed().restart).toBe(false);
    p.reset();
    expect(p.state()).toMatchObject({ recentCrashes: 0, gaveUp: false });
    expect(p.crashed()).toMatchObject({ restart: true, attempt: 1, message: 'pgperf language server stopped; restarting (1 of 1)' });
  });

  it('with a limit of 0 never restarts', () => {
    const { p } = policy(0, 1000);
    expect(p.crashed()).toMatchObject({ restart: false, crashes: 1 });
    expect(p.crashed().message).toContain('stopped 2 times in 1 second and will not be restarted');
  });

  it('goes on through a few connection errors in a row, then shuts down with the command to restart', () => {
    const { p } = policy();
    expect(p.connectionError(1)).toEqual({ shutdown: false });
    expect(p.connectionError(3)).toEqual({ shutdown: false });
    const d = p.connectionError(4);
    expect(d.shutdown).toBe(true);
    expect(d.message).toContain('(pgperf.restartServer)');
    expect(p.state().gaveUp).toBe(true);
    expect(p.connectionError(undefined).shutdown).toBe(true);
  });

  it('rejects a limit or window that cannot work', () => {
    expect(() => new RestartPolicy({ limit: -1, windowMs: 1000 })).toThrow(RangeError);
    expect(() => new RestartPolicy({ limit: 1.5, windowMs: 1000 })).toThrow(RangeError);
    expect(() => new RestartPolicy({ limit: 1, windowMs: 0 })).toThrow(RangeError);
  });
});
