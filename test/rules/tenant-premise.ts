/**
 * Shared cases of the tenant rules' premise (split-tenant-indexes, tenant-index-order): row-level security that
 * filters every role's reads of the table by tenant_id. Each case is a [why, sql] pair built from a table `bare`
 * and the statement `index` to judge.
 */
const ENABLE = 'ALTER TABLE sessions ENABLE ROW LEVEL SECURITY;\n';
const FORCE = 'ALTER TABLE sessions FORCE ROW LEVEL SECURITY;\n';
const TENANT = "(tenant_id = current_setting('app.tenant')::int)";

/** RLS set up in ways that leave some role's queries unfiltered by tenant_id: the rules stay quiet. */
export function premiseNotShown(bare: string, index: string): [string, string][] {
  return [
    ['no RLS at all (a tenant-like column in a project without RLS)', bare + index],
    ['RLS enabled, no policy', bare + ENABLE + index],
    ['a policy but RLS never enabled', bare + 'CREATE POLICY p ON sessions USING (tenant_id = 1);\n' + index],
    ['RLS enabled but not forced (the owner is not bound)', bare + ENABLE + `CREATE POLICY p ON sessions USING ${TENANT};\n` + index],
    ['FORCE without ENABLE (RLS stays off)', bare + FORCE + `CREATE POLICY p ON sessions USING ${TENANT};\n` + index],
    [
      'a policy TO authenticated only (Supabase: service_role and jobs read across tenants)',
      bare + ENABLE + FORCE + `CREATE POLICY p ON sessions FOR ALL TO authenticated USING ${TENANT};\n` + index,
    ],
    ['a policy TO PUBLIC, not forced (midday invoice_recurring)', bare + ENABLE + `CREATE POLICY p ON sessions FOR ALL TO public USING ${TENANT};\n` + index],
    [
      'a FOR INSERT policy only (reads are not filtered by it)',
      bare + ENABLE + FORCE + `CREATE POLICY p ON sessions FOR INSERT WITH CHECK ${TENANT};\n` + index,
    ],
    ['the tenant column only in WITH CHECK', bare + ENABLE + FORCE + `CREATE POLICY p ON sessions FOR ALL USING (true) WITH CHECK ${TENANT};\n` + index],
    [
      'another permissive read policy without the tenant column (OR-ed: that role reads every tenant)',
      bare +
        ENABLE +
        FORCE +
        `CREATE POLICY p ON sessions USING ${TENANT};\n` +
        'CREATE POLICY sys ON sessions FOR SELECT TO service_role USING (true);\n' +
        index,
    ],
    [
      'the tenant policy narrowed later by ALTER POLICY … TO authenticated',
      bare + ENABLE + FORCE + `CREATE POLICY p ON sessions USING ${TENANT};\n` + 'ALTER POLICY p ON sessions TO authenticated;\n' + index,
    ],
    [
      'the tenant policy rewritten later by ALTER POLICY … USING (true)',
      bare + ENABLE + FORCE + `CREATE POLICY p ON sessions USING ${TENANT};\n` + 'ALTER POLICY p ON sessions USING (true);\n' + index,
    ],
    ['the tenant policy dropped later', bare + ENABLE + FORCE + `CREATE POLICY p ON sessions USING ${TENANT};\n` + 'DROP POLICY p ON sessions;\n' + index],
    ['only an ALTER of a policy created elsewhere (its command is unknown)', bare + ENABLE + FORCE + `ALTER POLICY p ON sessions USING ${TENANT};\n` + index],
  ];
}

/** RLS that filters every role's reads by tenant_id: the rules read the table. */
export function premiseShown(bare: string, index: string): [string, string][] {
  return [
    ['ENABLE + FORCE and a policy with no TO clause', bare + ENABLE + FORCE + `CREATE POLICY p ON sessions USING ${TENANT};\n` + index],
    [
      'ENABLE + FORCE and a FOR SELECT policy TO PUBLIC, after the index',
      bare + index + FORCE + ENABLE + `CREATE POLICY p ON sessions FOR SELECT TO public USING ${TENANT};\n`,
    ],
    [
      'a RESTRICTIVE tenant policy next to a permissive USING (true) (AND-ed: every role is filtered)',
      bare +
        ENABLE +
        FORCE +
        `CREATE POLICY p ON sessions AS RESTRICTIVE USING ${TENANT};\n` +
        'CREATE POLICY sys ON sessions FOR SELECT TO service_role USING (true);\n' +
        index,
    ],
    [
      'a write-only policy without the tenant column next to the tenant read policy',
      bare +
        ENABLE +
        FORCE +
        `CREATE POLICY p ON sessions USING ${TENANT};\n` +
        'CREATE POLICY ins ON sessions FOR INSERT TO service_role WITH CHECK (true);\n' +
        index,
    ],
    [
      'a policy for authenticated widened by ALTER POLICY … TO PUBLIC',
      bare + ENABLE + FORCE + `CREATE POLICY p ON sessions TO authenticated USING ${TENANT};\n` + 'ALTER POLICY p ON sessions TO PUBLIC;\n' + index,
    ],
    [
      'a USING (true) read policy dropped, leaving the tenant policy',
      bare +
        ENABLE +
        FORCE +
        `CREATE POLICY p ON sessions USING ${TENANT};\n` +
        'CREATE POLICY sys ON sessions FOR SELECT TO service_role USING (true);\n' +
        'DROP POLICY IF EXISTS sys ON public.sessions;\n' +
        index,
    ],
  ];
}

/**
 * midday's scheduler tables as its migrations leave them (0010, 0011, 0038, shortened): RLS enabled, not forced,
 * policies `TO public` (invoice_recurring) or `TO authenticated` (provider_notification_batches) reading team_id.
 * The scheduler reads due rows of every team, so these indexes must not lead with team_id.
 */
export const MIDDAY_SCHEDULER =
  'CREATE TABLE teams (id uuid PRIMARY KEY);\n' +
  'CREATE TABLE invoice_recurring (id uuid PRIMARY KEY DEFAULT gen_random_uuid(), team_id uuid NOT NULL REFERENCES teams(id),\n' +
  "  status text NOT NULL DEFAULT 'active', next_scheduled_at timestamptz, upcoming_notification_sent_at timestamptz);\n" +
  'CREATE INDEX invoice_recurring_next_scheduled_at_idx ON invoice_recurring(next_scheduled_at);\n' +
  'CREATE INDEX invoice_recurring_status_idx ON invoice_recurring(status);\n' +
  "CREATE INDEX invoice_recurring_active_scheduled_idx ON invoice_recurring(next_scheduled_at) WHERE status = 'active';\n" +
  'ALTER TABLE invoice_recurring ENABLE ROW LEVEL SECURITY;\n' +
  'CREATE POLICY "Invoice recurring can be handled by a member of the team"\n  ON invoice_recurring\n  FOR ALL\n  TO public\n' +
  '  USING (team_id IN (SELECT private.get_teams_for_authenticated_user()));\n' +
  'CREATE INDEX IF NOT EXISTS invoice_recurring_upcoming_notification_idx\n' +
  "  ON invoice_recurring(next_scheduled_at, upcoming_notification_sent_at)\n  WHERE status = 'active';\n" +
  'CREATE TABLE provider_notification_batches (id uuid PRIMARY KEY DEFAULT gen_random_uuid(), team_id uuid NOT NULL,\n' +
  '  batch_key text NOT NULL, window_ends_at timestamptz NOT NULL, sent_at timestamptz,\n' +
  '  CONSTRAINT provider_notification_batches_team_id_fkey FOREIGN KEY (team_id) REFERENCES teams(id));\n' +
  'CREATE INDEX provider_notification_batches_due_idx\n  ON provider_notification_batches (sent_at, window_ends_at);\n' +
  'ALTER TABLE provider_notification_batches ENABLE ROW LEVEL SECURITY;\n' +
  'CREATE POLICY "Provider notification batches can be selected by a member of the team"\n  ON provider_notification_batches\n' +
  '  AS PERMISSIVE\n  FOR SELECT\n  TO authenticated\n  USING (team_id IN (SELECT private.get_teams_for_authenticated_user()));\n';
