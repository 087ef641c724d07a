"use client";
import { useState } from "react";
import { useMutation, useQueryClient } from "@tanstack/react-query";
import { Play, RotateCw, Square, Trash2, Pause, CirclePlay } from "lucide-react";
import type { ContainerSummary } from "../../server/routers/_app";
import { useTRPC, useTRPCClient } from "../../lib/query";
import { useRole } from "../../lib/team";
import { Button, ConfirmDialog, ErrorBox, IconButton } from "../ui";

type Action = "start" | "stop" | "restart" | "pause" | "unpause" | "remove";

/**
 * A container's lifecycle buttons, as the CLI's start/stop/restart/pause/unpause/rm; shown only
 * to a role that may manage containers. `compact`: icon buttons for a table row.
 */
export function ContainerActions({ c, compact, onRemoved }: { c: Pick<ContainerSummary, "id" | "name" | "state" | "paused">; compact?: boolean; onRemoved?: () => void }) {
  const trpc = useTRPC();
  const client = useTRPCClient();
  const qc = useQueryClient();
  const { can } = useRole();
  const [confirm, setConfirm] = useState<"stop" | "remove" | null>(null);
  const run = useMutation({
    mutationFn: async (a: Action) => {
      const id = c.id;
      if (a === "start") await client.container.start.mutate({ id });
      else if (a === "stop") await client.container.stop.mutate({ id });
      else if (a === "restart") await client.container.restart.mutate({ id });
      else if (a === "pause") await client.container.pause.mutate({ id });
      else if (a === "unpause") await client.container.unpause.mutate({ id });
      else await client.container.remove.mutate({ id, force: true });
    },
    onSettled: () => qc.invalidateQueries({ queryKey: trpc.container.pathKey() }),
  });
  if (!can("container.manage")) return null;

  const running = c.state === "running" || c.state === "restarting";
  const busy = run.isPending;
  const B = ({ a, label, icon, danger }: { a: Action | "confirm-stop" | "confirm-remove"; label: string; icon: React.ReactNode; danger?: boolean }) => {
    const onClick = () => (a === "confirm-stop" ? setConfirm("stop") : a === "confirm-remove" ? setConfirm("remove") : run.mutate(a));
    return compact ? (
      <IconButton label={`${label} ${c.name}`} icon={icon} onClick={onClick} disabled={busy} data-testid={`action-${label.toLowerCase()}`} />
    ) : (
      <Button icon={icon} onClick={onClick} busy={busy} variant={danger ? "danger" : "secondary"} data-testid={`action-${label.toLowerCase()}`}>
        {label}
      </Button>
    );
  };
  return (
    <>
      <span className="btn-row">
        {!running && <B a="start" label="Start" icon={<Play size={14} />} />}
        {running && !c.paused && <B a="confirm-stop" label="Stop" icon={<Square size={14} />} />}
        {running && <B a="restart" label="Restart" icon={<RotateCw size={14} />} />}
        {!compact && running && !c.paused && <B a="pause" label="Pause" icon={<Pause size={14} />} />}
        {!compact && c.paused && <B a="unpause" label="Unpause" icon={<CirclePlay size={14} />} />}
        <B a="confirm-remove" label="Remove" icon={<Trash2 size={14} />} danger />
      </span>
      {run.isError && !compact && <ErrorBox error={run.error} />}
      <ConfirmDialog
        open={confirm === "stop"}
        onOpenChange={(o) => !o && setConfirm(null)}
        title={`Stop ${c.name}?`}
        description="Sends SIGTERM (or the container's stop signal), then SIGKILL after 10 seconds, as berth stop does."
        confirmLabel="Stop"
        onConfirm={() => run.mutateAsync("stop")}
      />
      <ConfirmDialog
        open={confirm === "remove"}
        onOpenChange={(o) => !o && setConfirm(null)}
        title={`Remove ${c.name}?`}
        description={running ? "It is running: it is killed first (berth rm -f). Its filesystem goes with it; named volumes stay." : "Its filesystem goes with it; named volumes stay (berth rm)."}
        confirmLabel="Remove"
        danger
        onConfirm={async () => {
          await run.mutateAsync("remove");
          onRemoved?.();
        }}
      />
    </>
  );
}
