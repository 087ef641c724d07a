"use client";
import { useState } from "react";
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { KeyRound, Plus, Trash2 } from "lucide-react";
import { useTRPC } from "../../../lib/query";
import { formatAgo } from "../../../lib/format";
import { Badge, Button, CodeBlock, ConfirmDialog, Dialog, EmptyState, ErrorBox, Field, Loading, PageHeader, Table } from "../../../components/ui";
import "../../admin-pages.css";

/** `/tokens`: the user's API tokens (for the CLI, CI and registry clients); create one, limited if wanted, and revoke. */
export function TokensView() {
  const trpc = useTRPC();
  const qc = useQueryClient();
  const tokens = useQuery(trpc.token.list.queryOptions());
  const refresh = () => void qc.invalidateQueries(trpc.token.list.pathFilter());
  const revoke = useMutation(trpc.token.revoke.mutationOptions({ onSettled: refresh }));
  const [creating, setCreating] = useState(false);
  const [revoking, setRevoking] = useState<{ id: string; name: string } | null>(null);

  return (
    <>
      <PageHeader
        title="API tokens"
        subtitle="For the berth CLI, scripts and registry clients (a token is also your registry password). Limit one to a team or to reading when it leaves your machine."
        actions={
          <Button variant="primary" icon={<Plus size={15} />} onClick={() => setCreating(true)} data-testid="token-create">
            Create token
          </Button>
        }
      />
      {tokens.isError ? (
        <ErrorBox title="Could not list your tokens" error={tokens.error} onRetry={() => void tokens.refetch()} />
      ) : tokens.isPending ? (
        <Loading />
      ) : tokens.data.length === 0 ? (
        <EmptyState icon={<KeyRound size={28} />} title="No API tokens" command="berth login" action={<Button variant="primary" onClick={() => setCreating(true)}>Create a token</Button>}>
          Create one here and set it as BERTH_TOKEN, or run berth login, which makes one for the CLI.
        </EmptyState>
      ) : (
        <Table caption="API tokens" data-testid="tokens-table">
          <thead>
            <tr>
              <th>Name</th>
              <th>Team</th>
              <th>Access</th>
              <th>Created</th>
              <th>Last used</th>
              <th><span className="sr-only">Actions</span></th>
            </tr>
          </thead>
          <tbody>
            {tokens.data.map((t) => (
              <tr key={t.id} data-testid="token-row" data-name={t.name}>
                <td>{t.name}</td>
                <td>{t.team ?? <span className="muted">all your teams</span>}</td>
                <td>
                  <Badge tone={t.readOnly ? "info" : "neutral"}>{t.readOnly ? "read-only" : "full"}</Badge>
                </td>
                <td className="nowrap" title={t.createdAt}>{formatAgo(t.createdAt)}</td>
                <td className="nowrap" title={t.lastUsedAt ?? undefined}>{t.lastUsedAt ? formatAgo(t.lastUsedAt) : <span className="muted">never</span>}</td>
                <td className="actions">
                  <Button size="sm" variant="ghost" icon={<Trash2 size={14} />} onClick={() => setRevoking({ id: t.id, name: t.name })} aria-label={`Revoke token ${t.name}`}>
                    Revoke
                  </Button>
                </td>
              </tr>
            ))}
          </tbody>
        </Table>
      )}
      {creating && <CreateTokenDialog onClose={() => setCreating(false)} onCreated={refresh} />}
      <ConfirmDialog
        open={revoking !== null}
        onOpenChange={(o) => !o && setRevoking(null)}
        title="Revoke token"
        description={`"${revoking?.name ?? ""}" stops working at once: whatever uses it (a CLI login, CI, a registry client) is refused from then on.`}
        confirmLabel="Revoke"
        danger
        onConfirm={() => revoke.mutateAsync({ id: revoking!.id })}
      />
    </>
  );
}

function CreateTokenDialog({ onClose, onCreated }: { onClose: () => void; onCreated: () => void }) {
  const trpc = useTRPC();
  const teams = useQuery(trpc.team.list.queryOptions());
  const [name, setName] = useState("");
  const [team, setTeam] = useState("");
  const [readOnly, setReadOnly] = useState(false);
  const create = useMutation(trpc.token.create.mutationOptions({ onSuccess: onCreated }));
  const made = create.data;
  return (
    <Dialog open onOpenChange={(o) => !o && onClose()} title={made ? "Your new token" : "Create an API token"} data-testid="token-dialog">
      {made ? (
        <div data-testid="token-secret" className="wrap-code">
          <p>
            Copy it now: it is shown only once. {made.team ? `It acts only in team ${made.team}` : "It acts in all your teams"}
            {made.readOnly ? " and can only read and pull." : "."}
          </p>
          <CodeBlock code={made.token} label="Copy the token" />
          <p className="small muted">Use it with the CLI:</p>
          <CodeBlock code={`export BERTH_URL=${window.location.origin}\nexport BERTH_TOKEN=${made.token}\nberth whoami`} label="Copy the commands" />
          <div className="dialog-actions">
            <Button variant="primary" onClick={onClose}>
              Done
            </Button>
          </div>
        </div>
      ) : (
        <form
          className="form"
          onSubmit={(e) => {
            e.preventDefault();
            create.mutate({ ...(name.trim() ? { name: name.trim() } : {}), ...(team ? { team } : {}), readOnly });
          }}
        >
          <Field label="Name" value={name} onChange={(e) => setName(e.target.value)} placeholder="CI on the build server" hint="What it is for, to recognise it later." autoComplete="off" data-testid="token-name" />
          <div className="field">
            <label htmlFor="token-team">Team</label>
            <select id="token-team" value={team} onChange={(e) => setTeam(e.target.value)} data-testid="token-team" aria-describedby="token-team-hint">
              <option value="">All my teams</option>
              {(teams.data ?? []).map((t) => (
                <option key={t.name} value={t.name}>
                  Only {t.name}
                </option>
              ))}
            </select>
            <p className="hint" id="token-team-hint">
              A token limited to a team acts only there, and cannot create or join teams.
            </p>
          </div>
          <label className="check">
            <input type="checkbox" checked={readOnly} onChange={(e) => setReadOnly(e.target.checked)} data-testid="token-readonly" /> Read-only: lists, logs and pulls, never a change
          </label>
          {create.isError && <ErrorBox error={create.error} />}
          <div className="dialog-actions">
            <Button onClick={onClose}>Cancel</Button>
            <Button type="submit" variant="primary" busy={create.isPending} data-testid="token-create-submit">
              Create token
            </Button>
          </div>
        </form>
      )}
    </Dialog>
  );
}
