"use client";
import { useState } from "react";
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { useTRPC } from "../../../../lib/query";
import { useRole } from "../../../../lib/team";
import { formatSize } from "../../../../lib/format";
import { Button, Card, Dialog, ErrorBox, Field, KeyValues, Loading } from "../../../../components/ui";
import { bytesAsUnit, parseBytes } from "../../../../lib/bytes";

const limit = (v: number | null, fmt: (n: number) => string = String) => (v === null ? <span className="muted">no limit</span> : fmt(v));

/** The team's quotas (every member reads them; the site admin sets them). */
export function QuotaCard() {
  const trpc = useTRPC();
  const { team, siteAdmin } = useRole();
  const quota = useQuery(trpc.team.quota.queryOptions({ team }));
  const [editing, setEditing] = useState(false);
  return (
    <Card title="Quotas" actions={siteAdmin && quota.data ? <Button size="sm" onClick={() => setEditing(true)} data-testid="quota-edit">Edit quotas</Button> : undefined} data-testid="quota-card">
      {quota.isError ? (
        <ErrorBox error={quota.error} onRetry={() => void quota.refetch()} />
      ) : quota.isPending ? (
        <Loading />
      ) : (
        <>
          <KeyValues
            items={[
              ["Containers (created or running)", limit(quota.data.containers)],
              ["Memory, all containers", limit(quota.data.memory, formatSize)],
              ["CPUs, all containers", limit(quota.data.cpus)],
              ["Disk (images and volumes)", limit(quota.data.disk, formatSize)],
            ]}
          />
          <p className="small muted">Going over a quota is refused with a message saying which one; nothing half-starts. The site admin sets quotas.</p>
          {editing && <QuotaDialog team={team} current={quota.data} onClose={() => setEditing(false)} />}
        </>
      )}
    </Card>
  );
}

function QuotaDialog({ team, current, onClose }: { team: string; current: { containers: number | null; memory: number | null; cpus: number | null; disk: number | null }; onClose: () => void }) {
  const trpc = useTRPC();
  const qc = useQueryClient();
  const [containers, setContainers] = useState(current.containers?.toString() ?? "");
  const [memory, setMemory] = useState(current.memory !== null ? bytesAsUnit(current.memory) : "");
  const [cpus, setCpus] = useState(current.cpus?.toString() ?? "");
  const [disk, setDisk] = useState(current.disk !== null ? bytesAsUnit(current.disk) : "");
  const [bad, setBad] = useState<string | null>(null);
  const set = useMutation(trpc.team.setQuota.mutationOptions({ onSuccess: () => void qc.invalidateQueries(trpc.team.quota.pathFilter()) }));
  const num = (s: string) => (s.trim() === "" ? null : Number(s));
  return (
    <Dialog open onOpenChange={(o) => !o && onClose()} title={`Quotas of ${team}`} description="Leave a field empty for no limit. Sizes take a unit: 512m, 2g.">
      <form
        className="form"
        onSubmit={(e) => {
          e.preventDefault();
          const mem = memory.trim() ? parseBytes(memory) : null;
          const dsk = disk.trim() ? parseBytes(disk) : null;
          if (Number.isNaN(num(containers)) || Number.isNaN(num(cpus)) || (mem !== null && Number.isNaN(mem)) || (dsk !== null && Number.isNaN(dsk))) {
            setBad("Numbers only, and sizes as 512m or 2g.");
            return;
          }
          setBad(null);
          set.mutate({ team, containers: num(containers), cpus: num(cpus), memory: mem, disk: dsk }, { onSuccess: onClose });
        }}
      >
        <Field label="Containers" inputMode="numeric" value={containers} onChange={(e) => setContainers(e.target.value)} />
        <Field label="Memory" value={memory} onChange={(e) => setMemory(e.target.value)} placeholder="4g" />
        <Field label="CPUs" inputMode="decimal" value={cpus} onChange={(e) => setCpus(e.target.value)} />
        <Field label="Disk" value={disk} onChange={(e) => setDisk(e.target.value)} placeholder="20g" />
        {bad && <p className="error">{bad}</p>}
        {set.isError && <ErrorBox error={set.error} />}
        <div className="dialog-actions">
          <Button onClick={onClose}>Cancel</Button>
          <Button type="submit" variant="primary" busy={set.isPending}>
            Save
          </Button>
        </div>
      </form>
    </Dialog>
  );
}
