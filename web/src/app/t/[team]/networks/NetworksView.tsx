"use client";
import { useState } from "react";
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { Network, Plus, Trash2 } from "lucide-react";
import type { NetworkInspect } from "@berth/core";
import { useTRPC } from "../../../../lib/query";
import { useRole } from "../../../../lib/team";
import { formatAgo } from "../../../../lib/format";
import { useLiveRefresh } from "../../../../components/shell/live";
import { Badge, Button, ConfirmDialog, Dialog, EmptyState, ErrorBox, Field, Loading, PageHeader, Table } from "../../../../components/ui";
import { NetworkDetail } from "./NetworkDetail";
import "../../../admin-pages.css";

/** Docker's predefined networks: always there, never removed. */
export const BUILTIN = new Set(["bridge", "host", "none"]);

/** `/t/[team]/networks`: the bridge networks containers join; inspect one for who is attached. */
export function NetworksView() {
  const trpc = useTRPC();
  const qc = useQueryClient();
  const { can } = useRole();
  const list = useQuery(trpc.network.list.queryOptions());
  const refresh = () => void qc.invalidateQueries(trpc.network.pathFilter());
  useLiveRefresh(refresh, (e) => e.type === "container.start" || e.type === "container.die" || e.type === "container.destroy");
  const [creating, setCreating] = useState(false);
  const [pruning, setPruning] = useState(false);
  const [removing, setRemoving] = useState<string | null>(null);
  const [open, setOpen] = useState<string | null>(null);
  const remove = useMutation(trpc.network.remove.mutationOptions({ onSettled: refresh }));
  const prune = useMutation(trpc.network.prune.mutationOptions({ onSettled: refresh }));
  const manage = can("network.manage");
  const nets = [...(list.data ?? [])].sort((a, b) => Number(BUILTIN.has(b.Name)) - Number(BUILTIN.has(a.Name)) || a.Name.localeCompare(b.Name));
  const custom = nets.filter((n) => !BUILTIN.has(n.Name));

  return (
    <>
      <PageHeader
        title="Networks"
        subtitle="Containers on one user-defined network reach each other by name."
        actions={
          <>
            {manage && (
              <Button icon={<Trash2 size={15} />} onClick={() => setPruning(true)} data-testid="network-prune">
                Prune unused
              </Button>
            )}
            {manage && (
              <Button variant="primary" icon={<Plus size={15} />} onClick={() => setCreating(true)} data-testid="network-create">
                Create network
              </Button>
            )}
          </>
        }
      />
      {list.isError ? (
        <ErrorBox title="Could not list the networks" error={list.error} onRetry={() => void list.refetch()} />
      ) : list.isPending ? (
        <Loading />
      ) : (
        <>
          <Table caption="Networks" data-testid="networks-table">
            <thead>
              <tr>
                <th>Name</th>
                <th>Driver</th>
                <th>Subnet</th>
                <th>Gateway</th>
                <th className="num">Containers</th>
                <th>Created</th>
                <th><span className="sr-only">Actions</span></th>
              </tr>
            </thead>
            <tbody>
              {nets.map((n) => (
                <NetworkRow key={n.Id} n={n} manage={manage} onInspect={() => setOpen(n.Name)} onRemove={() => setRemoving(n.Name)} />
              ))}
            </tbody>
          </Table>
          {custom.length === 0 && (
            <EmptyState
              icon={<Network size={28} />}
              title="Only the built-in networks so far"
              command="berth network create NAME"
              action={manage ? <Button variant="primary" onClick={() => setCreating(true)}>Create a network</Button> : undefined}
            >
              {manage ? "Create a network, then start containers with --network NAME so they find each other by name." : "A member of the team creates networks; you will see them here."}
            </EmptyState>
          )}
        </>
      )}
      {open && <NetworkDetail name={open} manage={manage} onClose={() => setOpen(null)} onChanged={refresh} />}
      <CreateNetworkDialog open={creating} onOpenChange={setCreating} onCreated={refresh} />
      <ConfirmDialog
        open={removing !== null}
        onOpenChange={(o) => !o && setRemoving(null)}
        title="Remove network"
        description={`Network ${removing ?? ""} will be removed. Containers still attached to it keep it from going.`}
        confirmLabel="Remove"
        danger
        onConfirm={() => remove.mutateAsync({ names: [removing!] })}
      />
      <ConfirmDialog
        open={pruning}
        onOpenChange={setPruning}
        title="Prune unused networks"
        description="Removes every network of this team that no container is attached to."
        confirmLabel="Prune"
        danger
        onConfirm={() => prune.mutateAsync()}
      />
    </>
  );
}

function NetworkRow({ n, manage, onInspect, onRemove }: { n: NetworkInspect; manage: boolean; onInspect: () => void; onRemove: () => void }) {
  const cfg = n.IPAM.Config[0];
  const attached = Object.keys(n.Containers ?? {}).length;
  const builtin = BUILTIN.has(n.Name);
  return (
    <tr data-testid="network-row" data-name={n.Name}>
      <td className="nowrap">
        <span className="mono">{n.Name}</span> {builtin && <Badge>built-in</Badge>}
      </td>
      <td>{n.Driver}</td>
      <td className="mono">{cfg?.Subnet || <span className="muted">—</span>}</td>
      <td className="mono">{cfg?.Gateway || <span className="muted">—</span>}</td>
      <td className="num">{attached}</td>
      {/* The predefined host and none networks have no creation time (the epoch). */}
      <td className="nowrap" title={n.Created}>{n.Created && Date.parse(n.Created) > 0 ? formatAgo(n.Created) : <span className="muted">—</span>}</td>
      <td className="actions nowrap">
        <Button size="sm" variant="ghost" onClick={onInspect} aria-label={`Inspect network ${n.Name}`}>
          Inspect
        </Button>
        {manage && !builtin && (
          <Button size="sm" variant="ghost" icon={<Trash2 size={14} />} onClick={onRemove} aria-label={`Remove network ${n.Name}`}>
            Remove
          </Button>
        )}
      </td>
    </tr>
  );
}

function CreateNetworkDialog({ open, onOpenChange, onCreated }: { open: boolean; onOpenChange: (o: boolean) => void; onCreated: () => void }) {
  const trpc = useTRPC();
  const [name, setName] = useState("");
  const [subnet, setSubnet] = useState("");
  const [gateway, setGateway] = useState("");
  const create = useMutation(trpc.network.create.mutationOptions());
  const close = (o: boolean) => {
    if (!o) {
      setName("");
      setSubnet("");
      setGateway("");
      create.reset();
    }
    onOpenChange(o);
  };
  return (
    <Dialog open={open} onOpenChange={close} title="Create a network" data-testid="network-create-dialog">
      <form
        className="form"
        onSubmit={(e) => {
          e.preventDefault();
          create.mutate(
            { name: name.trim(), ...(subnet.trim() ? { subnet: subnet.trim() } : {}), ...(gateway.trim() ? { gateway: gateway.trim() } : {}) },
            {
              onSuccess: () => {
                onCreated();
                close(false);
              },
            },
          );
        }}
      >
        <Field label="Name" name="name" required value={name} onChange={(e) => setName(e.target.value)} placeholder="backend" autoComplete="off" />
        <Field label="Subnet" name="subnet" value={subnet} onChange={(e) => setSubnet(e.target.value)} placeholder="10.89.0.0/24" hint="Optional: a free private range is picked otherwise." autoComplete="off" />
        <Field label="Gateway" name="gateway" value={gateway} onChange={(e) => setGateway(e.target.value)} placeholder="10.89.0.1" hint="Optional: the subnet's first address otherwise." autoComplete="off" />
        {create.isError && <ErrorBox error={create.error} />}
        <div className="dialog-actions">
          <Button onClick={() => close(false)}>Cancel</Button>
          <Button type="submit" variant="primary" busy={create.isPending} disabled={!name.trim()} data-testid="network-create-submit">
            Create
          </Button>
        </div>
      </form>
    </Dialog>
  );
}
