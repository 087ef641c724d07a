"use client";
import { useState } from "react";
import Link from "next/link";
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { Unplug } from "lucide-react";
import { useTRPC } from "../../../../lib/query";
import { useTeamHref } from "../../../../lib/team";
import { Badge, Button, Dialog, EmptyState, ErrorBox, KeyValues, Loading, Table } from "../../../../components/ui";

/** One network as `network inspect` shows it, with the team's containers on it; connect and disconnect them. */
export function NetworkDetail({ name, manage, onClose, onChanged }: { name: string; manage: boolean; onClose: () => void; onChanged: () => void }) {
  const trpc = useTRPC();
  const qc = useQueryClient();
  const href = useTeamHref();
  const inspect = useQuery(trpc.network.inspect.queryOptions({ names: [name] }));
  const containers = useQuery(trpc.container.list.queryOptions({ all: true }));
  const changed = () => {
    void qc.invalidateQueries(trpc.network.pathFilter());
    onChanged();
  };
  const disconnect = useMutation(trpc.network.disconnect.mutationOptions({ onSuccess: changed }));
  const n = inspect.data?.[0];
  const builtin = name === "host" || name === "none";
  // Only the team's own containers are shown (the network's endpoints may include others' on a shared host).
  const mine = new Map((containers.data ?? []).map((c) => [c.id, c]));
  const attached = Object.entries(n?.Containers ?? {}).flatMap(([id, e]) => (mine.has(id) ? [{ id, ...e, name: mine.get(id)!.name }] : []));
  const candidates = (containers.data ?? []).filter((c) => !attached.some((a) => a.id === c.id));

  return (
    <Dialog open onOpenChange={(o) => !o && onClose()} title={`Network ${name}`} wide data-testid="network-detail">
      {inspect.isError ? (
        <ErrorBox error={inspect.error} onRetry={() => void inspect.refetch()} />
      ) : !n ? (
        <Loading />
      ) : (
        <>
          <KeyValues
            items={[
              ["ID", <span className="mono" key="id">{n.Id.slice(0, 12)}</span>],
              ["Driver", n.Driver],
              ["Subnet", <span className="mono" key="s">{n.IPAM.Config[0]?.Subnet || "—"}</span>],
              ["Gateway", <span className="mono" key="g">{n.IPAM.Config[0]?.Gateway || "—"}</span>],
              ["Labels", Object.keys(n.Labels ?? {}).length ? Object.entries(n.Labels).map(([k, v]) => <Badge key={k}>{`${k}=${v}`}</Badge>) : "—"],
            ]}
          />
          <h3 className="section-title">Attached containers</h3>
          {disconnect.isError && <ErrorBox error={disconnect.error} />}
          {attached.length === 0 ? (
            <EmptyState title="No running container of this team is attached" command={`berth run -d --network ${name} busybox sleep 3600`}>
              {manage && !builtin ? "Connect one below, or start a container on this network." : "Start a container with --network to attach it."}
            </EmptyState>
          ) : (
            <Table caption={`Containers on ${name}`} data-testid="network-containers">
              <thead>
                <tr>
                  <th>Container</th>
                  <th>IPv4 address</th>
                  <th>MAC address</th>
                  {manage && <th><span className="sr-only">Actions</span></th>}
                </tr>
              </thead>
              <tbody>
                {attached.map((a) => (
                  <tr key={a.id} data-testid="network-container" data-name={a.name}>
                    <td>
                      <Link href={href(`/containers/${encodeURIComponent(a.name)}`)}>{a.name}</Link>
                    </td>
                    <td className="mono">{a.IPv4Address || "—"}</td>
                    <td className="mono">{a.MacAddress || "—"}</td>
                    {manage && (
                      <td className="actions">
                        <Button size="sm" variant="ghost" icon={<Unplug size={14} />} busy={disconnect.isPending && disconnect.variables?.container === a.name} onClick={() => disconnect.mutate({ network: name, container: a.name })} aria-label={`Disconnect ${a.name}`}>
                          Disconnect
                        </Button>
                      </td>
                    )}
                  </tr>
                ))}
              </tbody>
            </Table>
          )}
          {manage && !builtin && <ConnectForm network={name} candidates={candidates} onDone={changed} />}
        </>
      )}
    </Dialog>
  );
}

function ConnectForm({ network, candidates, onDone }: { network: string; candidates: { id: string; name: string; state: string }[]; onDone: () => void }) {
  const trpc = useTRPC();
  const [container, setContainer] = useState("");
  const [aliases, setAliases] = useState("");
  const connect = useMutation(trpc.network.connect.mutationOptions());
  if (candidates.length === 0) return <p className="muted">Every container of this team is on this network already.</p>;
  return (
    <form
      className="form"
      style={{ marginTop: 16 }}
      onSubmit={(e) => {
        e.preventDefault();
        const list = aliases.split(/[\s,]+/).filter(Boolean);
        connect.mutate(
          { network, container, aliases: list },
          {
            onSuccess: () => {
              setContainer("");
              setAliases("");
              onDone();
            },
          },
        );
      }}
    >
      <h3>Connect a container</h3>
      <div className="form-row">
        <div className="field">
          <label htmlFor="connect-container">Container</label>
          <select id="connect-container" value={container} onChange={(e) => setContainer(e.target.value)} required data-testid="network-connect-container">
            <option value="">Choose a container…</option>
            {candidates.map((c) => (
              <option key={c.id} value={c.name}>
                {c.name} ({c.state})
              </option>
            ))}
          </select>
        </div>
        <div className="field">
          <label htmlFor="connect-aliases">Aliases</label>
          <input id="connect-aliases" value={aliases} onChange={(e) => setAliases(e.target.value)} placeholder="db, cache" autoComplete="off" aria-describedby="connect-aliases-hint" />
          <p className="hint" id="connect-aliases-hint">
            Optional extra names on this network. A stopped container joins at its next start.
          </p>
        </div>
      </div>
      {connect.isError && <ErrorBox error={connect.error} />}
      <div className="btn-row">
        <Button type="submit" variant="primary" busy={connect.isPending} disabled={!container} data-testid="network-connect-submit">
          Connect
        </Button>
      </div>
    </form>
  );
}
