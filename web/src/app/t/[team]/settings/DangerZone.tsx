"use client";
import { useState } from "react";
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { Crown, Trash2 } from "lucide-react";
import { useTRPC } from "../../../../lib/query";
import { useRole } from "../../../../lib/team";
import { Button, Card, ConfirmDialog } from "../../../../components/ui";

/** The owner's: hand the team to another member, or delete it (only once it owns nothing). */
export function DangerZone() {
  const trpc = useTRPC();
  const qc = useQueryClient();
  const { team, can } = useRole();
  const members = useQuery(trpc.team.members.queryOptions({ team }));
  const status = useQuery(trpc.auth.status.queryOptions(undefined, { staleTime: 60_000 }));
  const me = status.data?.user?.name;
  const [heir, setHeir] = useState("");
  const [confirmTransfer, setConfirmTransfer] = useState(false);
  const [confirmDelete, setConfirmDelete] = useState(false);
  const transfer = useMutation(trpc.team.transfer.mutationOptions({ onSuccess: () => void qc.invalidateQueries() }));
  const remove = useMutation(trpc.team.remove.mutationOptions());
  const others = (members.data ?? []).filter((m) => m.user !== me);

  return (
    <Card title="Owner actions" data-testid="danger-zone">
      {can("team.transfer") && (
        <form
          className="toolbar"
          aria-label="Hand the team over"
          onSubmit={(e) => {
            e.preventDefault();
            setConfirmTransfer(true);
          }}
        >
          <label htmlFor="heir">Hand {team} over to</label>
          <select id="heir" value={heir} onChange={(e) => setHeir(e.target.value)} disabled={others.length === 0} data-testid="transfer-to">
            <option value="">{others.length ? "Choose a member…" : "No other member yet"}</option>
            {others.map((m) => (
              <option key={m.user} value={m.user}>
                {m.user} ({m.role})
              </option>
            ))}
          </select>
          <Button type="submit" icon={<Crown size={15} />} disabled={!heir}>
            Hand over
          </Button>
        </form>
      )}
      {can("team.delete") && (
        <div className="toolbar">
          <span className="grow">Delete the team. It must own nothing: remove its containers, volumes, images and repositories first.</span>
          <Button variant="danger" icon={<Trash2 size={15} />} onClick={() => setConfirmDelete(true)} data-testid="team-delete">
            Delete team
          </Button>
        </div>
      )}
      <ConfirmDialog
        open={confirmTransfer}
        onOpenChange={setConfirmTransfer}
        title="Hand the team over"
        description={`${heir} becomes an owner of ${team}, and you become an admin. Only an owner can make you owner again.`}
        confirmLabel="Hand over"
        onConfirm={() => transfer.mutateAsync({ team, user: heir })}
      />
      <ConfirmDialog
        open={confirmDelete}
        onOpenChange={setConfirmDelete}
        title={`Delete team ${team}`}
        description="The team, its members' access, its invitations and its tokens go. This cannot be undone."
        confirmLabel="Delete team"
        danger
        onConfirm={async () => {
          await remove.mutateAsync({ team });
          // The team is gone: its pages would only say so.
          window.location.assign("/teams");
        }}
      />
    </Card>
  );
}
