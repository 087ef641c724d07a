"use client";
import { useQuery } from "@tanstack/react-query";
import { ExternalLink } from "lucide-react";
import { useTRPC } from "../../lib/query";
import { formatAgo, formatCmd, formatSize, shortId } from "../../lib/format";
import { useLiveRefresh } from "../shell/live";
import { Card, EmptyState, ErrorBox, KeyValues, Loading, Table } from "../ui";
import { useContainerName } from "./ContainerHeader";
import { isSet, type Inspect } from "./inspect-types";

/** `/t/[team]/containers/[name]`: state, config, environment, mounts, networks, ports and processes. */
export function ContainerDetail() {
  const trpc = useTRPC();
  const name = useContainerName();
  const q = useQuery(trpc.container.inspect.queryOptions({ id: name }));
  useLiveRefresh(() => void q.refetch(), (e) => e.type.startsWith("container.") && (!q.data || e.id === (q.data as unknown as Inspect).Id));
  if (q.isError) return <ErrorBox title="Cannot inspect this container" error={q.error} onRetry={() => void q.refetch()} />;
  if (!q.data) return <Loading />;
  const c = q.data as unknown as Inspect;
  const running = c.State.Running;
  return (
    <div className="detail-grid" data-testid="container-detail">
      <Card title="State">
        <KeyValues
          items={[
            ["Status", c.State.Status],
            ["Id", <span className="mono" key="id" title={c.Id}>{shortId(c.Id)}</span>],
            ["Created", formatAgo(c.Created)],
            ...(isSet(c.State.StartedAt) ? [["Started", formatAgo(c.State.StartedAt)] as [string, string]] : []),
            ...(!running && isSet(c.State.FinishedAt) ? [["Finished", formatAgo(c.State.FinishedAt)] as [string, string]] : []),
            ...(!running && isSet(c.State.FinishedAt) ? [["Exit code", <span key="exit" data-testid="exit-code">{c.State.ExitCode}</span>] as [string, React.ReactNode]] : []),
            ...(running ? [["PID", String(c.State.Pid)] as [string, string]] : []),
            ["Restarts", String(c.RestartCount)],
            ...(c.State.OOMKilled ? [["OOM killed", "yes: it ran out of its memory limit"] as [string, string]] : []),
            ...(c.State.Error ? [["Error", <span className="error" key="err">{c.State.Error}</span>] as [string, React.ReactNode]] : []),
          ]}
        />
      </Card>
      <Card title="Configuration">
        <KeyValues
          items={[
            ["Image", <span className="mono" key="img">{c.Config.Image}</span>],
            ["Command", <span className="mono" key="cmd">{formatCmd([c.Path, ...c.Args].filter(Boolean))}</span>],
            ...(c.Config.WorkingDir ? [["Working dir", <span className="mono" key="wd">{c.Config.WorkingDir}</span>] as [string, React.ReactNode]] : []),
            ["User", c.Config.User || "root"],
            ["Hostname", c.Config.Hostname],
            ["Restart policy", c.HostConfig.RestartPolicy.Name + (c.HostConfig.RestartPolicy.MaximumRetryCount ? `:${c.HostConfig.RestartPolicy.MaximumRetryCount}` : "")],
            ["Memory limit", c.HostConfig.Memory ? formatSize(c.HostConfig.Memory) : "none"],
            ["CPUs", c.HostConfig.NanoCpus ? String(c.HostConfig.NanoCpus / 1e9) : "no limit"],
            ...(c.HostConfig.ReadonlyRootfs ? [["Root filesystem", "read-only"] as [string, string]] : []),
            ...(c.HostConfig.AutoRemove ? [["Removed on exit", "yes (--rm)"] as [string, string]] : []),
            ...Object.entries(c.Config.Labels ?? {}).map(([k, v]) => [`Label ${k}`, v] as [string, string]),
          ]}
        />
      </Card>
      <Card title="Ports" data-testid="container-ports">
        <Ports c={c} />
      </Card>
      <Card title="Networks">
        <Networks c={c} />
      </Card>
      <Card title="Environment" className="span-2">
        {c.Config.Env?.length ? (
          <Table caption="Environment variables">
            <thead>
              <tr>
                <th scope="col">Variable</th>
                <th scope="col">Value</th>
              </tr>
            </thead>
            <tbody>
              {c.Config.Env.map((e) => {
                const eq = e.indexOf("=");
                return (
                  <tr key={e}>
                    <td className="mono">{e.slice(0, eq)}</td>
                    <td className="mono wrap">{e.slice(eq + 1)}</td>
                  </tr>
                );
              })}
            </tbody>
          </Table>
        ) : (
          <p className="muted">No environment variables. Set them with berth run -e KEY=value.</p>
        )}
      </Card>
      <Card title="Mounts" className="span-2">
        {c.Mounts?.length ? (
          <Table caption="Mounts">
            <thead>
              <tr>
                <th scope="col">Type</th>
                <th scope="col">Source</th>
                <th scope="col">Destination</th>
                <th scope="col">Mode</th>
              </tr>
            </thead>
            <tbody>
              {c.Mounts.map((m) => (
                <tr key={m.Destination}>
                  <td>{m.Type}</td>
                  <td className="mono wrap">{m.Name || m.Source}</td>
                  <td className="mono">{m.Destination}</td>
                  <td>{m.RW ? "read-write" : "read-only"}</td>
                </tr>
              ))}
            </tbody>
          </Table>
        ) : (
          <p className="muted">No volumes or bind mounts. Add one with berth run -v NAME:/path.</p>
        )}
      </Card>
      <Card title="Processes" className="span-2" data-testid="container-processes">
        {running ? <Processes id={c.Id} /> : <p className="muted">Not running: no processes. Start it to see them here (berth top).</p>}
      </Card>
    </div>
  );
}

function Ports({ c }: { c: Inspect }) {
  const ports = Object.entries(c.NetworkSettings?.Ports ?? {});
  if (ports.length === 0) return <p className="muted">No published ports. Publish one with berth run -p 8080:80.</p>;
  return (
    <ul className="plain-list">
      {ports.map(([port, bindings]) => (
        <li key={port}>
          <span className="mono">{port}</span>
          {" → "}
          {bindings?.length ? (
            bindings.map((b) => {
              const host = !b.HostIp || b.HostIp === "0.0.0.0" || b.HostIp === "::" ? (typeof window === "undefined" ? "localhost" : window.location.hostname) : b.HostIp;
              const tcp = port.endsWith("/tcp");
              const label = `${host}:${b.HostPort}`;
              return tcp ? (
                <a key={label} href={`http://${host}:${b.HostPort}/`} target="_blank" rel="noreferrer" className="port-link" data-testid="port-link">
                  {label} <ExternalLink size={12} aria-hidden="true" />
                </a>
              ) : (
                <span key={label} className="mono">
                  {label}
                </span>
              );
            })
          ) : (
            <span className="muted">not published</span>
          )}
        </li>
      ))}
    </ul>
  );
}

function Networks({ c }: { c: Inspect }) {
  const nets = Object.entries(c.NetworkSettings?.Networks ?? {});
  if (nets.length === 0) return <p className="muted">{c.HostConfig.NetworkMode === "none" ? "No network (--network none): only loopback." : c.HostConfig.NetworkMode === "host" ? "The host's network (--network host)." : "Not attached to a network."}</p>;
  return (
    <Table caption="Networks">
      <thead>
        <tr>
          <th scope="col">Network</th>
          <th scope="col">IP address</th>
          <th scope="col">Aliases</th>
        </tr>
      </thead>
      <tbody>
        {nets.map(([n, s]) => (
          <tr key={n}>
            <td>{n}</td>
            <td className="mono">{s.IPAddress || <span className="muted">{c.State.Running ? "none" : "assigned at start"}</span>}</td>
            <td>{s.Aliases?.join(", ") || <span className="muted">none</span>}</td>
          </tr>
        ))}
      </tbody>
    </Table>
  );
}

function Processes({ id }: { id: string }) {
  const trpc = useTRPC();
  const top = useQuery(trpc.container.top.queryOptions({ id, psArgs: [] }, { refetchInterval: 5_000 }));
  if (top.isError) return <ErrorBox error={top.error} />;
  if (!top.data) return <Loading />;
  if (top.data.processes.length === 0) return <EmptyState title="No processes" />;
  return (
    <Table caption="Processes">
      <thead>
        <tr>
          {top.data.titles.map((t) => (
            <th scope="col" key={t}>
              {t}
            </th>
          ))}
        </tr>
      </thead>
      <tbody>
        {top.data.processes.map((p, i) => (
          <tr key={i}>
            {p.map((v, j) => (
              <td key={j} className="mono">
                {v}
              </td>
            ))}
          </tr>
        ))}
      </tbody>
    </Table>
  );
}

