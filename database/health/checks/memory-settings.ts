import { type HealthCheck, type HealthFinding } from '../types';
import { bytesText, num, settingSize, str } from '../sql';

/** A setting counts as at the guide's value within 10 % (sizes are usually rounded: 4GB for 25 % of 16 GB). */
const TOLERANCE = 0.9;
const MB = 1024 * 1024;

/** pg_settings' value in bytes, from its unit (`8kB` for shared_buffers and effective_cache_size, `kB` for work_mem). */
function bytesOf(setting: string, unit: string): number {
  const m = /^(\d+)?\s*(B|kB|MB|GB|TB)$/.exec(unit);
  const scale = { B: 1, kB: 1024, MB: MB, GB: 1024 * MB, TB: 1024 * 1024 * MB }[m?.[2] ?? 'B'] ?? 1;
  return Number(setting) * (m?.[1] ? Number(m[1]) : 1) * scale;
}

export const memorySettings: HealthCheck = {
  id: 'memory-settings',
  title: 'Memory and planner settings against the guide (shared_buffers, effective_cache_size, work_mem, …)',
  category: 'settings',
  reads: ['pg_settings'],
  notEmbedded: "the embedded database's settings are pgperf's, not those of the server the application runs on",
  guide: {
    section: 'Hardware Recommendations › PostgreSQL Memory Settings',
    threshold:
      'shared_buffers 25 % of RAM, effective_cache_size 75 % of RAM, work_mem 64MB, maintenance_work_mem 512MB, random_page_cost 1.1 and effective_io_concurrency 200 on SSD',
  },
  docs: {
    why: "PostgreSQL's defaults (128MB shared_buffers, 4MB work_mem, random_page_cost 4) are sized for a small machine with spinning disks. The guide's server settings give the cache a quarter of the RAM, tell the planner the OS caches most of the rest, let sorts and hashes stay in memory, and price random reads as an SSD does. A setting more than 10 % below the guide's value is reported. shared_buffers and effective_cache_size are judged only when the RAM is known (`--ram`, or a server on this machine); random_page_cost and effective_io_concurrency only when the storage is known (`--storage ssd|hdd`): pgperf does not guess either.",
    fix: '`ALTER SYSTEM SET … ; SELECT pg_reload_conf();` (shared_buffers takes effect after a restart). Change one setting at a time and measure, as the guide asks.',
    notApplicable:
      "work_mem is per sort or hash node of every query: 64MB suits the guide's 16 GB server with a pool of about 20 connections, not a small machine with hundreds. A server shared with other services needs less than 25 % of RAM for shared_buffers. On HDD, random_page_cost 4 and effective_io_concurrency 2 are right (the check then judges neither).",
  },
  async run({ session, ramBytes, ramSource, storage }) {
    const { rows } = await session.query(
      `SELECT name, setting, coalesce(unit, '') AS unit FROM pg_settings
        WHERE name IN ('shared_buffers', 'effective_cache_size', 'work_mem', 'maintenance_work_mem', 'random_page_cost', 'effective_io_concurrency')`,
    );
    const get = (name: string) => rows.find((r) => r.name === name);
    const findings: HealthFinding[] = [];
    const notes: string[] = [];
    const size = (name: string, want: number, basis: string, restart = false) => {
      const r = get(name);
      if (!r) return;
      const have = bytesOf(str(r.setting), str(r.unit));
      if (have >= want * TOLERANCE) return;
      findings.push({
        severity: 'warning',
        object: name,
        message: `${name} is ${bytesText(have)}, below the guide's ${bytesText(want)} (${basis})`,
        evidence: { setting: name, bytes: have, guideBytes: want, basis, ...(ramBytes !== undefined ? { ramBytes, ramSource: ramSource ?? null } : {}) },
        fix: `ALTER SYSTEM SET ${name} = '${settingSize(want)}';\n${restart ? '-- takes effect after a server restart' : 'SELECT pg_reload_conf();'}`,
      });
    };
    if (ramBytes !== undefined) {
      size('shared_buffers', ramBytes * 0.25, `25 % of ${bytesText(ramBytes)} RAM`, true);
      size('effective_cache_size', ramBytes * 0.75, `75 % of ${bytesText(ramBytes)} RAM`);
    } else {
      notes.push('RAM unknown (pass --ram, or run pgperf on the server): shared_buffers and effective_cache_size not judged');
    }
    size('work_mem', 64 * MB, 'per sort or hash');
    size('maintenance_work_mem', 512 * MB, 'for VACUUM and CREATE INDEX');
    if (storage === 'ssd') {
      const rpc = get('random_page_cost');
      if (rpc && num(rpc.setting) > 1.1 / TOLERANCE) {
        findings.push({
          severity: 'warning',
          object: 'random_page_cost',
          message: `random_page_cost is ${str(rpc.setting)}; on SSD the guide sets 1.1 (4 prices random reads as a spinning disk's, steering the planner off index scans)`,
          evidence: { setting: 'random_page_cost', value: num(rpc.setting), guideValue: 1.1, storage },
          fix: `ALTER SYSTEM SET random_page_cost = 1.1;\nSELECT pg_reload_conf();`,
        });
      }
      const eic = get('effective_io_concurrency');
      if (eic && num(eic.setting) < 200 * TOLERANCE) {
        findings.push({
          severity: 'warning',
          object: 'effective_io_concurrency',
          message: `effective_io_concurrency is ${str(eic.setting)}; on SSD the guide sets 200 (parallel reads for bitmap heap scans)`,
          evidence: { setting: 'effective_io_concurrency', value: num(eic.setting), guideValue: 200, storage },
          fix: `ALTER SYSTEM SET effective_io_concurrency = 200;\nSELECT pg_reload_conf();`,
        });
      }
    } else if (storage === undefined) {
      notes.push('storage unknown (pass --storage ssd|hdd): random_page_cost and effective_io_concurrency not judged');
    }
    return { findings, notes };
  },
};
