"use client";
import { useState } from "react";
import Link from "next/link";
import { useQuery, useQueryClient } from "@tanstack/react-query";
import { GitBranch, Plus } from "lucide-react";
import { useTRPC } from "../../lib/query";
import { teamHref, useRole, useTeamName } from "../../lib/team";
import { formatAgo } from "../../lib/format";
import { useLiveRefresh } from "../shell/live";
import { Button, EmptyState, ErrorBox, Loading, PageHeader, Table } from "../ui";
import { NewProjectDialog } from "./NewProjectDialog";
import { remoteHere } from "./remote";

/** `/t/[team]/projects`: the team's git repositories on Berth; each pushed branch gets a preview. */
export function ProjectsList() {
  const trpc = useTRPC();
  const qc = useQueryClient();
  const team = useTeamName();
  const { can } = useRole();
  const [open, setOpen] = useState(false);
  const list = useQuery(trpc.project.list.queryOptions());
  useLiveRefresh(() => void qc.invalidateQueries(trpc.project.list.pathFilter()));
  return (
    <>
      <PageHeader
        title="Projects"
        subtitle="Git repositories hosted by Berth: every branch pushed to one becomes a preview."
        actions={
          can("project.create") && (
            <Button variant="primary" icon={<Plus size={14} />} onClick={() => setOpen(true)} data-testid="project-new">
              New project
            </Button>
          )
        }
      />
      {list.isError ? (
        <ErrorBox title="Could not list the projects" error={list.error} onRetry={() => void list.refetch()} />
      ) : !list.data ? (
        <Loading />
      ) : list.data.length === 0 ? (
        <EmptyState icon={<GitBranch size={28} />} title="No projects yet" command="berth project create NAME" data-testid="projects-empty">
          Create one with New project or the CLI: it gives the git remote to push to, with an API token as the password; or follow a repository on GitHub, GitLab or Gitea.
        </EmptyState>
      ) : (
        <Table caption="Projects" data-testid="projects-table">
          <thead>
            <tr>
              <th scope="col">Name</th>
              <th scope="col" className="num">Branches</th>
              <th scope="col">Git remote</th>
              <th scope="col">Follows</th>
              <th scope="col">Created</th>
            </tr>
          </thead>
          <tbody>
            {list.data.map((p) => (
              <tr key={p.name} data-testid="project-row" data-name={p.name}>
                <td>
                  <Link href={teamHref(team, `/projects/${encodeURIComponent(p.name)}`)}>{p.name}</Link>
                </td>
                <td className="num">{p.branches}</td>
                <td className="mono truncate">{remoteHere(p.remote)}</td>
                <td className="truncate">{p.upstreamUrl ?? <span className="muted">–</span>}</td>
                <td className="nowrap">{formatAgo(p.createdAt)}</td>
              </tr>
            ))}
          </tbody>
        </Table>
      )}
      {can("project.create") && <NewProjectDialog open={open} onOpenChange={setOpen} />}
    </>
  );
}
