"use client";
import { useDeferredValue, useState } from "react";
import { useQuery } from "@tanstack/react-query";
import { ScrollText, ShieldAlert } from "lucide-react";
import { useTRPC } from "../../../../lib/query";
import { useRole } from "../../../../lib/team";
import { Badge, EmptyState, ErrorBox, Loading, PageHeader, Table } from "../../../../components/ui";
import "../../../admin-pages.css";

/** "since" choices: the last hour, day, week, month, or everything. */
const SINCE: { label: string; ms: number | null }[] = [
  { label: "Last hour", ms: 3600_000 },
  { label: "Last 24 hours", ms: 24 * 3600_000 },
  { label: "Last 7 days", ms: 7 * 24 * 3600_000 },
  { label: "Last 30 days", ms: 30 * 24 * 3600_000 },
  { label: "All time", ms: null },
];

const LIMIT = 500;

/** `/t/[team]/audit`: who changed what (team admins: their team; the site admin: any team or all). */
export function AuditView() {
  const { can, siteAdmin, loading, team } = useRole();
  if (loading) return <Loading />;
  if (!can("audit.read")) {
    return (
      <>
        <PageHeader title="Audit log" />
        <EmptyState icon={<ShieldAlert size={28} />} title="The audit log is for the team's admins" command={`berth audit --team ${team}`}>
          Ask an admin or owner of {team} to look something up, or to make you an admin.
        </EmptyState>
      </>
    );
  }
  return <AuditTable siteAdmin={siteAdmin} team={team} />;
}

function AuditTable({ siteAdmin, team }: { siteAdmin: boolean; team: string }) {
  const trpc = useTRPC();
  const [scope, setScope] = useState(team);
  const [user, setUser] = useState("");
  // The time is fixed when the choice is made, so the query key stays put between renders.
  const pick = (i: number) => {
    const ms = SINCE[i]!.ms;
    return { i, at: ms === null ? null : new Date(Date.now() - ms).toISOString() };
  };
  const [since, setSince] = useState(() => pick(1));
  const who = useDeferredValue(user.trim());
  const all = scope === "*";
  const teams = useQuery(trpc.team.list.queryOptions({ all: true }, { enabled: siteAdmin, staleTime: 60_000 }));
  const rows = useQuery(
    trpc.audit.list.queryOptions(
      { ...(all ? { all: true } : { team: scope }), ...(who ? { user: who } : {}), ...(since.at ? { since: since.at } : {}), limit: LIMIT },
      { placeholderData: (prev) => prev },
    ),
  );
  const list = [...(rows.data ?? [])].reverse();

  return (
    <>
      <PageHeader title="Audit log" subtitle="Every change made through Berth: who, in which team, what, from where, and whether it was allowed. Nothing can edit it." />
      <form className="toolbar" role="search" aria-label="Filter the audit log" onSubmit={(e) => e.preventDefault()}>
        {siteAdmin && (
          <>
            <label className="sr-only" htmlFor="audit-team">Team</label>
            <select id="audit-team" value={scope} onChange={(e) => setScope(e.target.value)} data-testid="audit-team">
              <option value="*">All teams</option>
              {[...new Set([team, ...(teams.data ?? []).map((t) => t.name)])].map((t) => (
                <option key={t} value={t}>
                  {t}
                </option>
              ))}
            </select>
          </>
        )}
        <label className="sr-only" htmlFor="audit-user">User</label>
        <input id="audit-user" type="search" placeholder="User name" value={user} onChange={(e) => setUser(e.target.value)} data-testid="audit-user" />
        <label className="sr-only" htmlFor="audit-since">Since</label>
        <select id="audit-since" value={since.i} onChange={(e) => setSince(pick(Number(e.target.value)))} data-testid="audit-since">
          {SINCE.map((s, i) => (
            <option key={s.label} value={i}>
              {s.label}
            </option>
          ))}
        </select>
      </form>
      {rows.isError ? (
        <ErrorBox title="Could not read the audit log" error={rows.error} onRetry={() => void rows.refetch()} />
      ) : rows.isPending ? (
        <Loading />
      ) : list.length === 0 ? (
        <EmptyState icon={<ScrollText size={28} />} title="Nothing recorded for these filters">
          Widen the time range or clear the user filter. Every change (run, remove, push, invite…) is recorded as it happens.
        </EmptyState>
      ) : (
        <>
          {list.length >= LIMIT && <p className="muted">The newest {LIMIT} entries; narrow the filters to see older ones.</p>}
          <Table caption="Audit log" data-testid="audit-table">
            <thead>
              <tr>
                <th>Time</th>
                {all && <th>Team</th>}
                <th>User</th>
                <th>Action</th>
                <th>Target</th>
                <th>Result</th>
                <th>From</th>
              </tr>
            </thead>
            <tbody>
              {list.map((r) => (
                <tr key={r.id} data-testid="audit-row" data-action={r.action}>
                  <td className="nowrap" title={r.time}>{new Date(r.time).toLocaleString()}</td>
                  {all && <td>{r.team ?? <span className="muted">—</span>}</td>}
                  <td>{r.actor}</td>
                  <td className="mono">{r.action}</td>
                  <td className="mono cell-clip" title={r.target}>{r.target || <span className="muted">—</span>}</td>
                  <td>
                    <Badge tone={r.result === "ok" ? "ok" : "bad"} title={r.detail || undefined}>
                      {r.result === "ok" ? "ok" : r.result}
                    </Badge>
                    {r.result !== "ok" && r.detail && <div className="small muted">{r.detail}</div>}
                  </td>
                  <td className="small" title={r.client}>{r.address || <span className="muted">—</span>}</td>
                </tr>
              ))}
            </tbody>
          </Table>
        </>
      )}
    </>
  );
}
