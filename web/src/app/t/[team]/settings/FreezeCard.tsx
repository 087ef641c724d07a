"use client";
import { useState } from "react";
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { useTRPC } from "../../../../lib/query";
import { useRole } from "../../../../lib/team";
import { Button, Card, ErrorBox, Field, KeyValues, Loading } from "../../../../components/ui";

/** The team's idle freeze: how long a stack may idle before it is frozen (every member reads it; admins change it). */
export function FreezeCard() {
  const trpc = useTRPC();
  const qc = useQueryClient();
  const role = useRole();
  const settings = useQuery(trpc.team.settings.queryOptions({ team: role.team }));
  const [value, setValue] = useState<string | null>(null);
  const set = useMutation(trpc.team.set.mutationOptions({ onSuccess: () => void qc.invalidateQueries(trpc.team.settings.pathFilter()) }));
  const canEdit = role.can("team.settings");
  return (
    <Card title="Idle freeze" data-testid="freeze-card">
      {settings.isError ? (
        <ErrorBox error={settings.error} onRetry={() => void settings.refetch()} />
      ) : settings.isPending ? (
        <Loading />
      ) : (
        <>
          <KeyValues items={[["A stack freezes after", <span key="v" data-testid="freeze-after">{settings.data.freezeAfter === "off" ? "never (off)" : `${settings.data.freezeAfter} idle`}</span>]]} />
          <p className="small muted">
            A stack with no request through its links, no start and no <code>up</code> for this long is frozen: its processes keep their memory and connections, and the next request thaws it. A stack&apos;s own <code>x-berth: {"{freeze_after: …}"}</code> wins.
          </p>
          {canEdit && (
            <form
              className="form"
              onSubmit={(e) => {
                e.preventDefault();
                set.mutate({ team: role.team, freezeAfter: value ?? settings.data.freezeAfter }, { onSuccess: () => setValue(null) });
              }}
            >
              <Field label="Freeze after (e.g. 30m, 2h, or off)" value={value ?? settings.data.freezeAfter} onChange={(e) => setValue(e.target.value)} data-testid="freeze-after-input" />
              {set.isError && <ErrorBox error={set.error} />}
              <div>
                <Button type="submit" size="sm" busy={set.isPending}>
                  Save
                </Button>
              </div>
            </form>
          )}
        </>
      )}
    </Card>
  );
}
