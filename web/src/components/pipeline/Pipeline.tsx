"use client";
import { useState } from "react";
import { useParams } from "next/navigation";
import { useQuery, useQueryClient } from "@tanstack/react-query";
import { Workflow } from "lucide-react";
import { useTRPC } from "../../lib/query";
import { teamHref, useRole, useTeamName } from "../../lib/team";
import { useUrlFilters } from "../../lib/url-state";
import { useLiveRefresh } from "../shell/live";
import { EmptyState, ErrorBox, Loading, PageHeader } from "../ui";
import { remoteHere } from "../projects/remote";
import { CAN_PROMOTE, CAN_ROLLBACK, CAN_SET_CONFIG } from "./actions";
import { ChangeDialog, changeKey, type Change } from "./ChangeDialog";
import { ConfigPanel } from "./ConfigPanel";
import { EnvironmentCard } from "./EnvironmentCard";
import { PreviewsCard } from "./PreviewsCard";
import { ProjectTabs } from "./ProjectTabs";
import { ReleaseHistory } from "./ReleaseHistory";
import { inFlight } from "./format";
import "./pipeline.css";

/** Polled this often while a release is deploying somewhere (its state moves in seconds), and otherwise. */
const FAST_MS = 2_000;
const SLOW_MS = 10_000;

/**
 * `/t/[team]/projects/[name]/pipeline`: the project's environments side by side in pipeline order
 * (previews, then staging, production…), what each runs by digest and how it got there; below, the
 * chosen environment's releases and config. Members promote, roll back and set config.
 */
export function Pipeline() {
  const trpc = useTRPC();
  const qc = useQueryClient();
  const team = useTeamName();
  const { can } = useRole();
  const name = decodeURIComponent(useParams<{ name: string }>().name);
  const project = useQuery(trpc.project.get.queryOptions({ name }));
  const branches = useQuery(trpc.project.branches.queryOptions({ name }));
  const envs = useQuery({ ...trpc.environments.list.queryOptions({ project: name }), refetchInterval: (q) => ((q.state.data ?? []).some((e) => inFlight(e.last?.state)) ? FAST_MS : SLOW_MS) });
  const pollMs = (envs.data ?? []).some((e) => inFlight(e.last?.state)) ? FAST_MS : SLOW_MS;
  const refresh = () => {
    void qc.invalidateQueries(trpc.environments.pathFilter());
    void qc.invalidateQueries(trpc.releases.pathFilter());
    void qc.invalidateQueries(trpc.project.branches.queryFilter({ name }));
  };
  // A deploy starts and stops containers: their events are the first sign something moved.
  useLiveRefresh(refresh);
  const [{ env: chosen }, setFilter] = useUrlFilters(["env"] as const);
  const [change, setChange] = useState<Change | null>(null);

  const list = envs.data ?? [];
  const selected = list.find((e) => e.name === chosen) ?? list[0] ?? null;
  const remote = project.data ? remoteHere(project.data.remote) : "";
  const projectHref = teamHref(team, `/projects/${encodeURIComponent(name)}`);

  return (
    <>
      <PageHeader
        title={`${name}: pipeline`}
        crumbs={[
          { href: teamHref(team, "/projects"), label: "Projects" },
          { href: projectHref, label: name },
        ]}
        subtitle="Each environment runs images by digest: a promotion deploys exactly what ran before it, with the target's own config."
      />
      <ProjectTabs name={name} />
      {envs.isError ? (
        <ErrorBox title={`Could not read the environments of ${name}`} error={envs.error} onRetry={() => void envs.refetch()} />
      ) : !envs.data ? (
        <Loading />
      ) : list.length === 0 ? (
        <EmptyState icon={<Workflow size={28} />} title={`${name} has no environments`} command={`berth env create ${name} staging --branch ${project.data?.defaultBranch ?? "main"}`} data-testid="pipeline-empty">
          Create one: an environment follows a branch (a push deploys it) or is deployed by promotion only.
        </EmptyState>
      ) : (
        <>
          <ol className="pipeline" aria-label={`Pipeline of ${name}, in order`} data-testid="pipeline">
            <li>
              <PreviewsCard branches={branches.data ?? []} branchesHref={projectHref} />
            </li>
            {list.map((env, i) => {
              const prev = list[i - 1] ?? null;
              const next = list[i + 1] ?? null;
              return (
                <li key={env.name}>
                  <EnvironmentCard
                    project={name}
                    env={env}
                    prev={prev}
                    next={next}
                    remote={remote}
                    selected={selected?.name === env.name}
                    onSelect={() => setFilter("env", env.name)}
                    onPromote={can(CAN_PROMOTE) && next ? () => setChange({ kind: "promote", from: env, to: next }) : undefined}
                    onRollback={can(CAN_ROLLBACK) ? () => setChange({ kind: "rollback", env }) : undefined}
                  />
                </li>
              );
            })}
          </ol>
          {selected && (
            <div className="pipeline-detail" data-testid="env-detail" data-env={selected.name}>
              <ReleaseHistory project={name} env={selected} pollMs={pollMs} onRollback={can(CAN_ROLLBACK) && selected.live ? (to) => setChange({ kind: "rollback", env: selected, to }) : undefined} />
              <ConfigPanel project={name} env={selected} canEdit={can(CAN_SET_CONFIG)} />
            </div>
          )}
        </>
      )}
      {change && <ChangeDialog key={changeKey(change)} project={name} change={change} onClose={() => setChange(null)} onDone={refresh} />}
    </>
  );
}
