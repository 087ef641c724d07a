"use client";
import Link from "next/link";
import { useState } from "react";
import { useParams, useRouter } from "next/navigation";
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { Blocks, Power, Trash2 } from "lucide-react";
import { useTRPC } from "../../lib/query";
import { teamHref, useRole, useTeamName } from "../../lib/team";
import { useLiveRefresh } from "../shell/live";
import { Badge, Button, ConfirmDialog, EmptyState, ErrorBox, Loading, PageHeader, StatusDot, Table } from "../ui";

interface Row {
  id: string;
  name: string;
  service: string;
  state: string;
  health?: string;
  image: string;
  ports: { hostIp?: string; hostPort: number; containerPort: number; protocol: string }[];
}

/** A published port as a link to it on the host the page came from (or the address it is bound to). */
function portHref(p: Row["ports"][number]): string {
  const any = !p.hostIp || p.hostIp === "0.0.0.0" || p.hostIp === "::";
  const host = any ? (typeof window === "undefined" ? "localhost" : window.location.hostname) : p.hostIp!;
  return `http://${host}:${p.hostPort}/`;
}

/** `/t/[team]/stacks/[name]`: a stack's services (state, health, replicas, image, ports), with Down and Remove for members. */
export function StackDetail() {
  const trpc = useTRPC();
  const qc = useQueryClient();
  const router = useRouter();
  const team = useTeamName();
  const { can } = useRole();
  const params = useParams<{ name: string }>();
  const name = decodeURIComponent(params.name);
  const ps = useQuery(trpc.stack.ps.queryOptions({ name }));
  const refresh = () => void qc.invalidateQueries(trpc.stack.pathFilter());
  useLiveRefresh(refresh);
  const [confirm, setConfirm] = useState<"down" | "remove" | null>(null);
  const down = useMutation(trpc.stack.down.mutationOptions({ onSettled: refresh }));
  const remove = useMutation(trpc.stack.remove.mutationOptions({ onSettled: refresh }));
  const manage = can("stack.manage");

  const services = new Map<string, Row[]>();
  for (const r of (ps.data ?? []) as Row[]) services.set(r.service, [...(services.get(r.service) ?? []), r]);

  return (
    <>
      <PageHeader
        title={name}
        crumbs={[{ href: teamHref(team, "/stacks"), label: "Stacks" }]}
        subtitle="A Compose stack: its services, their containers, health and published ports."
        actions={
          manage && ps.data ? (
            <>
              <Button icon={<Power size={15} />} onClick={() => setConfirm("down")} disabled={ps.data.length === 0} data-testid="stack-down">
                Down
              </Button>
              <Button variant="danger" icon={<Trash2 size={15} />} onClick={() => setConfirm("remove")} data-testid="stack-remove">
                Remove
              </Button>
            </>
          ) : undefined
        }
      />
      {ps.isError ? (
        <ErrorBox title={`Could not read stack ${name}`} error={ps.error} onRetry={() => void ps.refetch()} />
      ) : !ps.data ? (
        <Loading />
      ) : ps.data.length === 0 ? (
        <EmptyState icon={<Blocks size={28} />} title="No container of this stack exists" command={`berth stack up -d -p ${name}`} data-testid="stack-empty">
          The stack is down: bring it up again from the directory with its compose file.
        </EmptyState>
      ) : (
        <>
        {ps.data.some((r) => r.state === "frozen") && (
          <p className="muted" data-testid="stack-frozen">
            <Badge tone="warn">frozen</Badge> Idle past its freeze_after: its processes are paused with their memory kept. The next request to one of its port links thaws it.
          </p>
        )}
        <Table caption={`Services of stack ${name}`} data-testid="stack-services">
          <thead>
            <tr>
              <th scope="col">Service</th>
              <th scope="col">Container</th>
              <th scope="col">State</th>
              <th scope="col">Health</th>
              <th scope="col">Image</th>
              <th scope="col">Ports</th>
              <th scope="col">
                <span className="sr-only">Links</span>
              </th>
            </tr>
          </thead>
          <tbody>
            {[...services].flatMap(([service, rows]) =>
              rows.map((c, i) => (
                <tr key={c.id} data-testid="stack-container" data-service={service} data-name={c.name}>
                  <td>
                    {i === 0 && (
                      <>
                        <strong>{service}</strong>{" "}
                        <span className="muted" data-testid="stack-replicas">
                          {rows.filter((r) => r.state === "running").length}/{rows.length}
                        </span>
                      </>
                    )}
                  </td>
                  <td>
                    <Link href={teamHref(team, `/containers/${encodeURIComponent(c.name)}`)}>{c.name}</Link>
                  </td>
                  <td>
                    <StatusDot state={c.state} />
                  </td>
                  <td>{c.health ? <Badge tone={c.health === "healthy" ? "ok" : c.health === "unhealthy" ? "bad" : "warn"}>{c.health}</Badge> : <span className="muted">–</span>}</td>
                  <td className="mono truncate">{c.image}</td>
                  <td>
                    {c.ports.length === 0 ? (
                      <span className="muted">–</span>
                    ) : (
                      c.ports.map((p) => (
                        <a key={`${p.hostPort}/${p.protocol}`} className="port-link" href={portHref(p)} target="_blank" rel="noreferrer">
                          {p.hostPort}→{p.containerPort}/{p.protocol}
                        </a>
                      ))
                    )}
                  </td>
                  <td className="nowrap">
                    <Link href={teamHref(team, `/containers/${encodeURIComponent(c.name)}/logs`)} data-testid="stack-logs-link">
                      Logs
                    </Link>
                    {can("container.terminal") && (
                      <>
                        {" · "}
                        <Link href={teamHref(team, `/containers/${encodeURIComponent(c.name)}/terminal`)} data-testid="stack-terminal-link">
                          Terminal
                        </Link>
                      </>
                    )}
                  </td>
                </tr>
              )),
            )}
          </tbody>
        </Table>
        </>
      )}
      <ConfirmDialog
        open={confirm === "down"}
        onOpenChange={(o) => !o && setConfirm(null)}
        title={`Take stack ${name} down`}
        description="Stops and removes the stack's containers and networks; its volumes and the stack itself stay, so `berth stack up` brings it back."
        confirmLabel="Down"
        danger
        onConfirm={() => down.mutateAsync({ name })}
      />
      <ConfirmDialog
        open={confirm === "remove"}
        onOpenChange={(o) => !o && setConfirm(null)}
        title={`Remove stack ${name}`}
        description="Removes the stack and its containers and networks. Its named volumes stay."
        confirmLabel="Remove"
        danger
        onConfirm={async () => {
          await remove.mutateAsync({ name, force: true });
          router.push(teamHref(team, "/stacks"));
        }}
      />
    </>
  );
}
