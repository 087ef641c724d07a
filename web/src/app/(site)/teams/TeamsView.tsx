"use client";
import { useState } from "react";
import Link from "next/link";
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { Plus, Users } from "lucide-react";
import { useTRPC } from "../../../lib/query";
import { teamHref } from "../../../lib/team";
import { formatAgo } from "../../../lib/format";
import { Badge, Button, Card, EmptyState, ErrorBox, Field, Loading, PageHeader, Table } from "../../../components/ui";
import "../../admin-pages.css";

/** `/teams`: the user's teams and their role in each (the site admin may list every team); create one. */
export function TeamsView() {
  const trpc = useTRPC();
  const qc = useQueryClient();
  const status = useQuery(trpc.auth.status.queryOptions(undefined, { staleTime: 60_000 }));
  const siteAdmin = !!status.data?.user?.isAdmin;
  const [all, setAll] = useState(false);
  const teams = useQuery(trpc.team.list.queryOptions({ all: all && siteAdmin }));
  const [name, setName] = useState("");
  const create = useMutation(trpc.team.create.mutationOptions({ onSuccess: () => void qc.invalidateQueries(trpc.team.pathFilter()) }));

  return (
    <>
      <PageHeader title="Teams" subtitle="A team owns containers, images, volumes, networks and repositories; its members' roles decide who may do what." />
      <Card title="Create a team" data-testid="team-create-card">
        <form
          className="toolbar"
          aria-label="Create a team"
          onSubmit={(e) => {
            e.preventDefault();
            create.mutate({ name: name.trim() }, { onSuccess: () => setName("") });
          }}
        >
          <div className="grow">
            <Field label="Team name" value={name} onChange={(e) => setName(e.target.value)} placeholder="acme" autoComplete="off" hint="Lowercase letters and digits, with '.', '_' or '-' between: it is also the team's registry namespace." data-testid="team-name" />
          </div>
          <Button type="submit" variant="primary" icon={<Plus size={15} />} busy={create.isPending} disabled={!name.trim()} data-testid="team-create">
            Create team
          </Button>
        </form>
        {create.isError && <ErrorBox title="Could not create the team" error={create.error} />}
        {create.data && (
          <p data-testid="team-created">
            Team <Link href={teamHref(create.data.name)}>{create.data.name}</Link> is yours (owner). Open it and invite people from its settings.
          </p>
        )}
      </Card>
      <div style={{ height: 16 }} />
      <Card
        title={all ? "Every team" : "Your teams"}
        actions={
          siteAdmin ? (
            <label className="check">
              <input type="checkbox" checked={all} onChange={(e) => setAll(e.target.checked)} data-testid="teams-all" /> Every team (site admin)
            </label>
          ) : undefined
        }
      >
        {teams.isError ? (
          <ErrorBox error={teams.error} onRetry={() => void teams.refetch()} />
        ) : teams.isPending ? (
          <Loading />
        ) : teams.data.length === 0 ? (
          <EmptyState icon={<Users size={28} />} title="No teams" command="berth team create NAME">
            Create one above.
          </EmptyState>
        ) : (
          <Table caption="Teams" data-testid="teams-table">
            <thead>
              <tr>
                <th>Team</th>
                <th>Your role</th>
                <th className="num">Members</th>
                <th>Created</th>
                <th><span className="sr-only">Links</span></th>
              </tr>
            </thead>
            <tbody>
              {teams.data.map((t) => (
                <tr key={t.name} data-testid="team-row" data-team={t.name}>
                  <td>
                    <Link href={teamHref(t.name)}>{t.name}</Link> {t.personal && <Badge>personal</Badge>}
                  </td>
                  <td>{t.role ?? <span className="muted">not a member</span>}</td>
                  <td className="num">{t.members}</td>
                  <td className="nowrap" title={t.createdAt}>{formatAgo(t.createdAt)}</td>
                  <td className="actions">
                    <Link href={teamHref(t.name, "/settings")} aria-label={`Settings of ${t.name}`}>
                      Settings
                    </Link>
                  </td>
                </tr>
              ))}
            </tbody>
          </Table>
        )}
      </Card>
    </>
  );
}
