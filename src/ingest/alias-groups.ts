// Global alias groups: every set of ids a report links (CVE ↔ GHSA ↔ XRAY ↔ OSV) joins one group;
// groups that meet are merged into the oldest. OSV alias data can feed the same tables later.
import type { Queryable } from '../store/db.js';

export async function recordAliasGroups(tx: Queryable, idSets: readonly string[][], source: string): Promise<void> {
  const sets = idSets.filter((s) => s.length > 1);
  if (sets.length === 0) return;
  const all = [...new Set(sets.flat())];
  const { rows } = await tx.query<{ alias: string; group_id: string | number }>(
    `SELECT alias, group_id FROM vulnerability_aliases WHERE alias = ANY($1::text[])`,
    [all],
  );
  const groupOf = new Map(rows.map((r) => [r.alias, Number(r.group_id)]));
  // New groups get negative placeholder ids, created in one statement afterwards.
  const remaps: { from: number; to: number }[] = [];
  let nextPlaceholder = -1;
  for (const ids of sets) {
    const groups = [...new Set(ids.map((id) => groupOf.get(id)).filter((g): g is number => g !== undefined))].sort((a, b) => a - b);
    const stored = groups.filter((g) => g > 0);
    const group = stored[0] ?? groups[0] ?? nextPlaceholder--;
    for (const other of groups) {
      if (other === group) continue;
      if (other > 0) remaps.push({ from: other, to: group });
      for (const [alias, g] of groupOf) if (g === other) groupOf.set(alias, group);
    }
    for (const id of ids) groupOf.set(id, group);
  }
  const placeholders = [...new Set([...groupOf.values()].filter((g) => g < 0))];
  const real = new Map<number, number>();
  if (placeholders.length) {
    const { rows: created } = await tx.query<{ id: string | number }>(
      `INSERT INTO alias_groups (created_at) SELECT now() FROM generate_series(1, $1::int) RETURNING id`,
      [placeholders.length],
    );
    placeholders.forEach((p, i) => real.set(p, Number(created[i]!.id)));
  }
  for (const { from, to } of remaps) {
    await tx.query(`UPDATE vulnerability_aliases SET group_id = $2 WHERE group_id = $1`, [from, real.get(to) ?? to]);
  }
  const known = new Set(rows.map((r) => r.alias));
  const inserts = [...groupOf]
    .filter(([alias]) => !known.has(alias))
    .map(([alias, g]) => ({ alias, group_id: real.get(g) ?? g }));
  if (inserts.length) {
    await tx.query(
      `INSERT INTO vulnerability_aliases (alias, group_id, source)
       SELECT x.alias, x.group_id, $2 FROM jsonb_to_recordset($1::jsonb) AS x(alias text, group_id bigint)
       ON CONFLICT (alias) DO NOTHING`,
      [JSON.stringify(inserts), source],
    );
  }
}
