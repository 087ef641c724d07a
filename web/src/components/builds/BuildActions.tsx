"use client";
import { useRouter } from "next/navigation";
import { useMutation, useQueryClient } from "@tanstack/react-query";
import { Ban, RotateCcw } from "lucide-react";
import type { BuildSummary } from "../../server/routers/_app";
import { useTRPC, useTRPCClient } from "../../lib/query";
import { teamHref, useRole, useTeamName } from "../../lib/team";
import { Button, ErrorBox, IconButton } from "../ui";

/** Cancel (queued or running) and retry (ended, context kept), for a role that may build. */
export function BuildActions({ b, compact }: { b: Pick<BuildSummary, "id" | "status" | "retryable">; compact?: boolean }) {
  const trpc = useTRPC();
  const client = useTRPCClient();
  const qc = useQueryClient();
  const router = useRouter();
  const team = useTeamName();
  const { can } = useRole();
  const cancel = useMutation({ mutationFn: () => client.build.cancel.mutate({ id: b.id }), onSettled: () => qc.invalidateQueries({ queryKey: trpc.build.pathKey() }) });
  const retry = useMutation({
    mutationFn: () => client.build.retry.mutate({ id: b.id }),
    onSuccess: (r) => router.push(teamHref(team, `/builds/${r.id}`)),
    onSettled: () => qc.invalidateQueries({ queryKey: trpc.build.pathKey() }),
  });
  if (!can("image.build")) return null;
  const active = b.status === "queued" || b.status === "running";
  const err = cancel.error ?? retry.error;
  return (
    <>
      <span className="btn-row">
        {active &&
          (compact ? (
            <IconButton label={`Cancel build ${b.id.slice(0, 8)}`} icon={<Ban size={14} />} onClick={() => cancel.mutate()} disabled={cancel.isPending} data-testid="build-cancel" />
          ) : (
            <Button icon={<Ban size={14} />} variant="danger" busy={cancel.isPending} onClick={() => cancel.mutate()} data-testid="build-cancel">
              Cancel
            </Button>
          ))}
        {!active &&
          b.retryable &&
          (compact ? (
            <IconButton label={`Retry build ${b.id.slice(0, 8)}`} icon={<RotateCcw size={14} />} onClick={() => retry.mutate()} disabled={retry.isPending} data-testid="build-retry" />
          ) : (
            <Button icon={<RotateCcw size={14} />} busy={retry.isPending} onClick={() => retry.mutate()} data-testid="build-retry">
              Retry
            </Button>
          ))}
      </span>
      {err && !compact && <ErrorBox error={err} />}
    </>
  );
}
