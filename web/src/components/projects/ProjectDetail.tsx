"use client";
import { useState } from "react";
import { useParams, useRouter } from "next/navigation";
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { GitBranch, RotateCw, ScrollText, Trash2 } from "lucide-react";
import { useTRPC } from "../../lib/query";
import { teamHref, useRole, useTeamName } from "../../lib/team";
import { formatAgo } from "../../lib/format";
import { useLiveRefresh } from "../shell/live";
import { Badge, Button, Card, CodeBlock, ConfirmDialog, EmptyState, ErrorBox, Loading, PageHeader, StatusDot, Table } from "../ui";
import { branchDot, remoteHere } from "./remote";
import { ProjectTabs } from "../pipeline/ProjectTabs";

/** One branch's last push output (its build and deploy), read when asked for. */
function BranchLog({ name, branch }: { name: string; branch: string }) {
  const trpc = useTRPC();
  const log = useQuery(trpc.project.log.queryOptions({ name, branch }));
  return (
    <Card title={`Last push of ${branch}`} data-testid="branch-log">
      {log.isError ? <ErrorBox title="Could not read the log" error={log.error} onRetry={() => void log.refetch()} /> : log.data === undefined ? <Loading /> : <CodeBlock code={log.data || "(no output)"} codeLabel={`Output of the last push of ${branch}`} />}
    </Card>
  );
}

/** `/t/[team]/projects/[name]`: a project's remote, its branches (commit, state, preview URL, age), their logs; redeploy for members, delete for admins. */
export function ProjectDetail() {
  const trpc = useTRPC();
  const qc = useQueryClient();
  const router = useRouter();
  const team = useTeamName();
  const { can } = useRole();
  const params = useParams<{ name: string }>();
  const name = decodeURIComponent(params.name);
  const project = useQuery(trpc.project.get.queryOptions({ name }));
  const refresh = () => void qc.invalidateQueries(trpc.project.pathFilter());
  useLiveRefresh(refresh);
  const [shown, setShown] = useState<string | null>(null);
  const [confirm, setConfirm] = useState(false);
  const redeploy = useMutation(trpc.project.redeploy.mutationOptions({ onSettled: refresh }));
  const remove = useMutation(trpc.project.remove.mutationOptions());
  const p = project.data;
  const remote = p ? remoteHere(p.remote) : "";

  return (
    <>
      <PageHeader
        title={name}
        crumbs={[{ href: teamHref(team, "/projects"), label: "Projects" }]}
        subtitle={p?.upstreamUrl ? `Follows ${p.upstreamUrl}: fetched on its signed webhook or berth project sync.` : "A git repository on Berth: every branch pushed to it becomes a preview."}
        actions={
          can("project.delete") && p ? (
            <Button variant="danger" icon={<Trash2 size={15} />} onClick={() => setConfirm(true)} data-testid="project-remove">
              Delete
            </Button>
          ) : undefined
        }
      />
      <ProjectTabs name={name} />
      {project.isError ? (
        <ErrorBox title={`Could not read project ${name}`} error={project.error} onRetry={() => void project.refetch()} />
      ) : !p ? (
        <Loading />
      ) : (
        <>
          <Card title="Git remote" data-testid="project-remote">
            <CodeBlock code={remote} inline codeLabel="Git remote" />
            {can("project.push") && !p.upstreamUrl && <p className="muted">Push with any user name and an API token as the password.</p>}
          </Card>
          {p.branchList.length === 0 ? (
            <EmptyState icon={<GitBranch size={28} />} title="No branches yet" command={p.upstreamUrl ? `berth project sync ${name}` : `git push ${remote} ${p.defaultBranch}`} data-testid="project-empty">
              {p.upstreamUrl ? "Fetch the outside repository now, or wait for its next push webhook." : "Push a branch: it is built and deployed as a preview, and shows here with its URL."}
            </EmptyState>
          ) : (
            <Table caption={`Branches of project ${name}`} data-testid="project-branches">
              <thead>
                <tr>
                  <th scope="col">Branch</th>
                  <th scope="col">Commit</th>
                  <th scope="col">State</th>
                  <th scope="col">Preview</th>
                  <th scope="col">Updated</th>
                  <th scope="col">
                    <span className="sr-only">Actions</span>
                  </th>
                </tr>
              </thead>
              <tbody>
                {p.branchList.map((b) => (
                  <tr key={b.name} data-testid="branch-row" data-name={b.name} data-state={b.state}>
                    <td>
                      <strong>{b.name}</strong> {!b.trusted && <Badge tone="warn" title="From an untrusted source (a fork): its preview gets no secrets">untrusted</Badge>}
                    </td>
                    <td className="mono">{b.sha.slice(0, 12)}</td>
                    <td className="wrap">
                      <StatusDot state={branchDot(b.state)} label={b.state} />
                      {b.state === "failed" && b.error && (
                        <div className="muted small" data-testid="branch-error">
                          {b.error}
                        </div>
                      )}
                    </td>
                    <td className="truncate">
                      {b.url && b.state !== "removed" ? (
                        <a href={b.url} target="_blank" rel="noreferrer" data-testid="branch-url">
                          {b.url}
                        </a>
                      ) : (
                        <span className="muted">–</span>
                      )}
                    </td>
                    <td className="nowrap">{formatAgo(b.updatedAt)}</td>
                    <td className="nowrap">
                      <Button size="sm" variant="ghost" icon={<ScrollText size={14} />} onClick={() => setShown(shown === b.name ? null : b.name)} aria-expanded={shown === b.name} data-testid="branch-log-toggle">
                        Log
                      </Button>
                      {can("project.push") && b.state !== "removed" && (
                        <Button size="sm" variant="ghost" icon={<RotateCw size={14} />} busy={redeploy.isPending && redeploy.variables?.branch === b.name} onClick={() => redeploy.mutate({ name, branch: b.name })} data-testid="branch-redeploy">
                          Redeploy
                        </Button>
                      )}
                    </td>
                  </tr>
                ))}
              </tbody>
            </Table>
          )}
          {redeploy.isError && <ErrorBox title="Redeploy failed" error={redeploy.error} />}
          {shown && <BranchLog name={name} branch={shown} />}
        </>
      )}
      <ConfirmDialog
        open={confirm}
        onOpenChange={setConfirm}
        title={`Delete project ${name}`}
        description="Removes its previews, its branches and its git repository on Berth. An outside repository it follows is not touched."
        confirmLabel="Delete"
        danger
        onConfirm={async () => {
          await remove.mutateAsync({ name });
          router.push(teamHref(team, "/projects"));
        }}
      />
    </>
  );
}
