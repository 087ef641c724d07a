"use client";
import { useState } from "react";
import Link from "next/link";
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { HardDrive, Plus, Trash2 } from "lucide-react";
import { useTRPC } from "../../../../lib/query";
import { useRole, useTeamHref } from "../../../../lib/team";
import { formatAgo, formatSize } from "../../../../lib/format";
import { useLiveRefresh } from "../../../../components/shell/live";
import { Badge, Button, ConfirmDialog, Dialog, EmptyState, ErrorBox, Field, Loading, PageHeader, StatusDot, Table } from "../../../../components/ui";
import { parseLabels } from "../../../../lib/labels";
import "../../../admin-pages.css";

/** `/t/[team]/volumes`: the team's volumes, their size and the containers that mount them. */
export function VolumesView() {
  const trpc = useTRPC();
  const qc = useQueryClient();
  const href = useTeamHref();
  const { can } = useRole();
  const list = useQuery(trpc.volume.list.queryOptions());
  // Sizes take a job on each volume's host: asked separately so the list shows at once.
  const usage = useQuery(trpc.volume.usage.queryOptions(undefined, { staleTime: 15_000 }));
  const refresh = () => void qc.invalidateQueries(trpc.volume.pathFilter());
  // Containers come and go: which volumes are in use changes with them.
  useLiveRefresh(refresh, (e) => e.type.startsWith("container."));
  const [creating, setCreating] = useState(false);
  const [pruning, setPruning] = useState(false);
  const [removing, setRemoving] = useState<string | null>(null);
  const remove = useMutation(trpc.volume.remove.mutationOptions({ onSettled: refresh }));
  const prune = useMutation(trpc.volume.prune.mutationOptions({ onSettled: refresh }));
  const manage = can("volume.manage");
  const byName = new Map((usage.data ?? []).map((u) => [u.name, u]));

  return (
    <>
      <PageHeader
        title="Volumes"
        subtitle="Named storage on a host that outlives the containers mounting it."
        actions={
          <>
            {manage && (
              <Button icon={<Trash2 size={15} />} onClick={() => setPruning(true)} data-testid="volume-prune">
                Prune unused
              </Button>
            )}
            {manage && (
              <Button variant="primary" icon={<Plus size={15} />} onClick={() => setCreating(true)} data-testid="volume-create">
                Create volume
              </Button>
            )}
          </>
        }
      />
      {list.isError ? (
        <ErrorBox title="Could not list the volumes" error={list.error} onRetry={() => void list.refetch()} />
      ) : list.isPending ? (
        <Loading />
      ) : list.data.length === 0 ? (
        <EmptyState
          icon={<HardDrive size={28} />}
          title="No volumes yet"
          command="berth volume create NAME"
          action={manage ? <Button variant="primary" onClick={() => setCreating(true)}>Create a volume</Button> : undefined}
        >
          {manage ? "Create one here or with the CLI, then mount it with berth run -v NAME:/path." : "A member of the team creates them; you will see them here."}
        </EmptyState>
      ) : (
        <>
          {usage.isError && <ErrorBox title="Could not read the volumes' sizes" error={usage.error} onRetry={() => void usage.refetch()} />}
          <Table caption="Volumes" data-testid="volumes-table">
            <thead>
              <tr>
                <th>Name</th>
                <th className="num">Size</th>
                <th>Used by</th>
                <th>Labels</th>
                <th>Created</th>
                {manage && <th><span className="sr-only">Actions</span></th>}
              </tr>
            </thead>
            <tbody>
              {list.data.map((v) => {
                const u = byName.get(v.Name);
                const users = u?.containers ?? [];
                const labels = Object.entries(v.Labels);
                return (
                  <tr key={v.Name} data-testid="volume-row" data-name={v.Name}>
                    <td className="mono" title={v.Mountpoint}>{v.Name.length > 40 ? `${v.Name.slice(0, 12)}…` : v.Name}</td>
                    <td className="num nowrap" data-testid="volume-size">
                      {u?.size != null ? formatSize(u.size) : u?.error ? <span className="muted" title={u.error}>unknown</span> : usage.isPending ? <span className="muted">…</span> : <span className="muted">unknown</span>}
                    </td>
                    <td data-testid="volume-users">
                      {users.length === 0 ? (
                        <span className="muted">unused</span>
                      ) : (
                        users.map((c) => (
                          <span key={c.id} className="nowrap" style={{ marginRight: 10 }}>
                            <Link href={href(`/containers/${encodeURIComponent(c.name)}`)}>{c.name}</Link> <StatusDot state={c.state} />
                          </span>
                        ))
                      )}
                    </td>
                    <td>
                      {labels.length === 0 ? <span className="muted">—</span> : labels.map(([k, val]) => <Badge key={k}>{val ? `${k}=${val}` : k}</Badge>)}
                    </td>
                    <td className="nowrap" title={v.CreatedAt}>{formatAgo(v.CreatedAt)}</td>
                    {manage && (
                      <td className="actions">
                        {users.length === 0 && (
                          <Button size="sm" variant="ghost" icon={<Trash2 size={14} />} onClick={() => setRemoving(v.Name)} aria-label={`Remove volume ${v.Name}`}>
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
        </>
      )}
      <CreateVolumeDialog open={creating} onOpenChange={setCreating} onCreated={refresh} />
      <ConfirmDialog
        open={removing !== null}
        onOpenChange={(o) => !o && setRemoving(null)}
        title="Remove volume"
        description={`Volume ${removing ?? ""} and everything in it will be deleted. This cannot be undone.`}
        confirmLabel="Remove"
        danger
        onConfirm={async () => {
          const r = await remove.mutateAsync({ names: [removing!] });
          if (r.errors[0]) throw new Error(r.errors[0].message);
        }}
      />
      <ConfirmDialog
        open={pruning}
        onOpenChange={setPruning}
        title="Prune unused volumes"
        description="Removes every volume of this team that no container uses. Their data is deleted."
        confirmLabel="Prune"
        danger
        onConfirm={() => prune.mutateAsync({ all: true })}
      />
    </>
  );
}

function CreateVolumeDialog({ open, onOpenChange, onCreated }: { open: boolean; onOpenChange: (o: boolean) => void; onCreated: () => void }) {
  const trpc = useTRPC();
  const [name, setName] = useState("");
  const [labels, setLabels] = useState("");
  const create = useMutation(trpc.volume.create.mutationOptions());
  const close = (o: boolean) => {
    if (!o) {
      setName("");
      setLabels("");
      create.reset();
    }
    onOpenChange(o);
  };
  const submit = async () => {
    const parsed = parseLabels(labels);
    if ("error" in parsed) return;
    await create.mutateAsync({ ...(name.trim() ? { name: name.trim() } : {}), labels: parsed.labels });
    onCreated();
    close(false);
  };
  const parsed = parseLabels(labels);
  return (
    <Dialog open={open} onOpenChange={close} title="Create a volume" data-testid="volume-create-dialog">
      <form
        className="form"
        onSubmit={(e) => {
          e.preventDefault();
          void submit().catch(() => {});
        }}
      >
        <Field label="Name" name="name" value={name} onChange={(e) => setName(e.target.value)} placeholder="data" hint="Leave empty for a random name, as berth volume create does." autoComplete="off" />
        <Field label="Labels" name="labels" value={labels} onChange={(e) => setLabels(e.target.value)} placeholder="env=dev, owner=alice" hint={"error" in parsed ? parsed.error : "KEY=VALUE pairs, separated by commas (optional)."} autoComplete="off" />
        {create.isError && <ErrorBox error={create.error} />}
        <div className="dialog-actions">
          <Button onClick={() => close(false)}>Cancel</Button>
          <Button type="submit" variant="primary" busy={create.isPending} disabled={"error" in parsed} data-testid="volume-create-submit">
            Create
          </Button>
        </div>
      </form>
    </Dialog>
  );
}
