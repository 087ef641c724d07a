"use client";
import { useState } from "react";
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { UserMinus, UserPlus } from "lucide-react";
import type { Role } from "../../../../server/policy/roles";
import { useTRPC } from "../../../../lib/query";
import { useRole } from "../../../../lib/team";
import { formatAgo } from "../../../../lib/format";
import { Badge, Button, Card, ConfirmDialog, ErrorBox, Loading, Table } from "../../../../components/ui";
import { grantable, outranks, ROLE_HELP } from "./roles";

/** The members and their roles; admins change roles, add users by name and remove members. */
export function Members({ personal }: { personal: boolean }) {
  const trpc = useTRPC();
  const qc = useQueryClient();
  const { team, role, siteAdmin, can } = useRole();
  const members = useQuery(trpc.team.members.queryOptions({ team }));
  const refresh = () => void qc.invalidateQueries(trpc.team.pathFilter());
  const setRole = useMutation(trpc.team.addMember.mutationOptions({ onSettled: refresh }));
  const remove = useMutation(trpc.team.removeMember.mutationOptions({ onSettled: refresh }));
  const [removing, setRemoving] = useState<string | null>(null);
  const manage = can("team.members") && !personal;
  const roles = grantable(role, siteAdmin);

  return (
    <Card title="Members" data-testid="members-card">
      {members.isError ? (
        <ErrorBox error={members.error} onRetry={() => void members.refetch()} />
      ) : members.isPending ? (
        <Loading />
      ) : (
        <>
          {setRole.isError && <ErrorBox title="Could not change the role" error={setRole.error} />}
          <Table caption="Members" data-testid="members-table">
            <thead>
              <tr>
                <th>User</th>
                <th>Role</th>
                <th>Member since</th>
                {manage && <th><span className="sr-only">Actions</span></th>}
              </tr>
            </thead>
            <tbody>
              {members.data.map((m) => {
                const mayChange = manage && outranks(role, siteAdmin, m.role);
                return (
                  <tr key={m.user} data-testid="member-row" data-user={m.user}>
                    <td>{m.user}</td>
                    <td>
                      {mayChange ? (
                        <>
                          <label className="sr-only" htmlFor={`role-${m.user}`}>Role of {m.user}</label>
                          <select id={`role-${m.user}`} className="fit" value={m.role} disabled={setRole.isPending} onChange={(e) => setRole.mutate({ team, user: m.user, role: e.target.value as Role })} data-testid="member-role">
                            {roles.map((r) => (
                              <option key={r} value={r}>
                                {r}
                              </option>
                            ))}
                          </select>
                        </>
                      ) : (
                        <Badge tone={m.role === "owner" ? "info" : "neutral"} title={ROLE_HELP[m.role]}>
                          {m.role}
                        </Badge>
                      )}
                    </td>
                    <td className="nowrap" title={m.since}>{formatAgo(m.since)}</td>
                    {manage && (
                      <td className="actions">
                        {mayChange && (
                          <Button size="sm" variant="ghost" icon={<UserMinus size={14} />} onClick={() => setRemoving(m.user)} aria-label={`Remove ${m.user} from the team`}>
                            Remove
                          </Button>
                        )}
                      </td>
                    )}
                  </tr>
                );
              })}
            </tbody>
          </Table>
          {manage && <AddMember roles={roles} onAdded={refresh} />}
          <ul className="small muted" style={{ margin: "12px 0 0", paddingLeft: 18 }}>
            {(Object.keys(ROLE_HELP) as Role[]).map((r) => (
              <li key={r}>
                <strong>{r}</strong>: {ROLE_HELP[r]}
              </li>
            ))}
          </ul>
        </>
      )}
      <ConfirmDialog
        open={removing !== null}
        onOpenChange={(o) => !o && setRemoving(null)}
        title="Remove member"
        description={`${removing ?? ""} will lose access to team ${team} and everything it owns.`}
        confirmLabel="Remove"
        danger
        onConfirm={() => remove.mutateAsync({ team, user: removing! })}
      />
    </Card>
  );
}

/** `berth team add TEAM USER --role ROLE`: an existing user joins at once (an invitation is for anyone else). */
function AddMember({ roles, onAdded }: { roles: Role[]; onAdded: () => void }) {
  const trpc = useTRPC();
  const { team } = useRole();
  const [user, setUser] = useState("");
  const [role, setRole] = useState<Role>("member");
  const add = useMutation(trpc.team.addMember.mutationOptions());
  return (
    <form
      className="toolbar"
      style={{ marginTop: 12 }}
      aria-label="Add a member"
      onSubmit={(e) => {
        e.preventDefault();
        add.mutate(
          { team, user: user.trim(), role },
          {
            onSuccess: () => {
              setUser("");
              onAdded();
            },
          },
        );
      }}
    >
      <label className="sr-only" htmlFor="add-user">User name</label>
      <input id="add-user" className="grow" placeholder="Add an existing user by name" value={user} onChange={(e) => setUser(e.target.value)} autoComplete="off" data-testid="add-member-user" />
      <label className="sr-only" htmlFor="add-role">Role</label>
      <select id="add-role" className="fit" value={role} onChange={(e) => setRole(e.target.value as Role)}>
        {roles.map((r) => (
          <option key={r} value={r}>
            {r}
          </option>
        ))}
      </select>
      <Button type="submit" icon={<UserPlus size={15} />} busy={add.isPending} disabled={!user.trim()}>
        Add
      </Button>
      {add.isError && <ErrorBox error={add.error} />}
    </form>
  );
}
