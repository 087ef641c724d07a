"use client";
import { useState } from "react";
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { Link2, X } from "lucide-react";
import type { Role } from "../../../../server/policy/roles";
import { useTRPC } from "../../../../lib/query";
import { useRole } from "../../../../lib/team";
import { formatAgo } from "../../../../lib/format";
import { Badge, Button, Card, CodeBlock, ConfirmDialog, EmptyState, ErrorBox, Loading, Table } from "../../../../components/ui";
import { grantable } from "./roles";

const LIFETIMES = [
  { label: "1 hour", s: 3600 },
  { label: "1 day", s: 24 * 3600 },
  { label: "7 days", s: 7 * 24 * 3600 },
];

function stateOf(i: { usedAt: string | null; expiresAt: string }, now: number): { label: string; tone: "ok" | "neutral" | "warn" } {
  if (i.usedAt) return { label: "used", tone: "neutral" };
  if (new Date(i.expiresAt).getTime() <= now) return { label: "expired", tone: "warn" };
  return { label: "open", tone: "ok" };
}

/** One-time links that join whoever opens them (signed in) with a role; the link shows once. */
export function Invitations() {
  const trpc = useTRPC();
  const qc = useQueryClient();
  const { team, role, siteAdmin } = useRole();
  const list = useQuery(trpc.team.invitations.queryOptions({ team }));
  const refresh = () => void qc.invalidateQueries(trpc.team.invitations.pathFilter());
  const invite = useMutation(trpc.team.invite.mutationOptions({ onSuccess: refresh }));
  const revoke = useMutation(trpc.team.revokeInvite.mutationOptions({ onSettled: refresh }));
  const [newRole, setNewRole] = useState<Role>("member");
  const [ttl, setTtl] = useState(24 * 3600);
  const [revoking, setRevoking] = useState<string | null>(null);
  const roles = grantable(role, siteAdmin);
  const link = invite.data ? `${window.location.origin}/invite/${encodeURIComponent(invite.data.token)}` : null;
  const now = Date.now();

  return (
    <Card title="Invitations" data-testid="invitations-card">
      <form
        className="toolbar"
        aria-label="Create an invitation"
        onSubmit={(e) => {
          e.preventDefault();
          invite.mutate({ team, role: newRole, ttlSeconds: ttl });
        }}
      >
        <label htmlFor="invite-role">Role</label>
        <select id="invite-role" value={newRole} onChange={(e) => setNewRole(e.target.value as Role)} data-testid="invite-role">
          {roles.map((r) => (
            <option key={r} value={r}>
              {r}
            </option>
          ))}
        </select>
        <label htmlFor="invite-ttl">Valid for</label>
        <select id="invite-ttl" value={ttl} onChange={(e) => setTtl(Number(e.target.value))}>
          {LIFETIMES.map((l) => (
            <option key={l.s} value={l.s}>
              {l.label}
            </option>
          ))}
        </select>
        <Button type="submit" variant="primary" icon={<Link2 size={15} />} busy={invite.isPending} data-testid="invite-create">
          Create invitation link
        </Button>
      </form>
      {invite.isError && <ErrorBox title="Could not create the invitation" error={invite.error} />}
      {link && invite.data && (
        <div className="wrap-code" data-testid="invite-link" style={{ margin: "12px 0" }}>
          <p>
            Send this link to the person joining as <strong>{invite.data.role}</strong>. It works once, until {new Date(invite.data.expiresAt).toLocaleString()}, and is
            shown only now.
          </p>
          <CodeBlock code={link} label="Copy the invitation link" />
        </div>
      )}
      {revoke.isError && <ErrorBox title="Could not revoke the invitation" error={revoke.error} />}
      {list.isError ? (
        <ErrorBox error={list.error} onRetry={() => void list.refetch()} />
      ) : list.isPending ? (
        <Loading />
      ) : list.data.length === 0 ? (
        <EmptyState title="No invitations yet" command={`berth team invite ${team} --role member`}>
          Create a link above; whoever opens it signed in joins {team} with its role.
        </EmptyState>
      ) : (
        <Table caption="Invitations" data-testid="invitations-table">
          <thead>
            <tr>
              <th>Role</th>
              <th>State</th>
              <th>Created</th>
              <th>Expires</th>
              <th>Used by</th>
              <th><span className="sr-only">Actions</span></th>
            </tr>
          </thead>
          <tbody>
            {list.data.map((i) => {
              const s = stateOf(i, now);
              return (
                <tr key={i.id} data-testid="invitation-row" data-state={s.label}>
                  <td>{i.role}</td>
                  <td>
                    <Badge tone={s.tone}>{s.label}</Badge>
                  </td>
                  <td className="nowrap" title={i.createdAt}>
                    {formatAgo(i.createdAt)}
                    {i.createdBy ? ` by ${i.createdBy}` : ""}
                  </td>
                  <td className="nowrap" title={i.expiresAt}>{new Date(i.expiresAt).toLocaleString()}</td>
                  <td>{i.usedBy ?? <span className="muted">—</span>}</td>
                  <td className="actions">
                    {s.label === "open" && (
                      <Button size="sm" variant="ghost" icon={<X size={14} />} onClick={() => setRevoking(i.id)} aria-label={`Revoke the ${i.role} invitation made ${formatAgo(i.createdAt)}`}>
                        Revoke
                      </Button>
                    )}
                  </td>
                </tr>
              );
            })}
          </tbody>
        </Table>
      )}
      <ConfirmDialog
        open={revoking !== null}
        onOpenChange={(o) => !o && setRevoking(null)}
        title="Revoke invitation"
        description="Its link stops working at once. Whoever already joined stays a member."
        confirmLabel="Revoke"
        danger
        onConfirm={() => revoke.mutateAsync({ team, id: revoking! })}
      />
    </Card>
  );
}
