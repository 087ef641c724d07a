"use client";
import { useState, type FormEvent } from "react";
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { KeyRound, Plus, Trash2 } from "lucide-react";
import { useTRPC } from "../../lib/query";
import { formatAgo } from "../../lib/format";
import { Badge, Button, Card, ConfirmDialog, EmptyState, ErrorBox, IconButton, Loading, Table } from "../ui";
import type { EnvironmentRow } from "./types";

/** The form members set a variable with; a secret's value is never shown again once set. */
function SetForm({ project, env, live, onDone }: { project: string; env: string; live: number | null; onDone: () => void }) {
  const trpc = useTRPC();
  const [key, setKey] = useState("");
  const [value, setValue] = useState("");
  const [secret, setSecret] = useState(false);
  // Any change of config makes a new release of a live environment; "hold" stores it for the next one (several changes in one release).
  const [hold, setHold] = useState(false);
  const set = useMutation(
    trpc.environments.setConfig.mutationOptions({
      onSuccess: () => {
        setKey("");
        setValue("");
        setSecret(false);
        onDone();
      },
    }),
  );
  const submit = (e: FormEvent) => {
    e.preventDefault();
    set.mutate({ project, env, values: { [key.trim()]: value }, secret, deploy: !hold });
  };
  return (
    <form className="pipeline-config-form" onSubmit={submit} data-testid="config-form" aria-label={`Set a variable of ${env}`}>
      <div className="field">
        <label htmlFor={`cfg-key-${env}`}>Name</label>
        <input id={`cfg-key-${env}`} name="key" value={key} onChange={(e) => setKey(e.target.value)} placeholder="DATABASE_URL" autoComplete="off" spellCheck={false} required className="mono" />
      </div>
      <div className="field grow">
        <label htmlFor={`cfg-value-${env}`}>Value</label>
        <input id={`cfg-value-${env}`} name="value" value={value} onChange={(e) => setValue(e.target.value)} type={secret ? "password" : "text"} autoComplete="off" spellCheck={false} className="mono" />
      </div>
      <label className="check">
        <input type="checkbox" name="secret" checked={secret} onChange={(e) => setSecret(e.target.checked)} />
        Secret
      </label>
      {live !== null && (
        <label className="check" title={`Only store the change: ${env}'s next release runs with it (set several, then deploy them in one release)`}>
          <input type="checkbox" name="hold" checked={hold} onChange={(e) => setHold(e.target.checked)} data-testid="config-hold" />
          Store only
        </label>
      )}
      <Button type="submit" variant="primary" icon={<Plus size={14} />} busy={set.isPending} disabled={!key.trim()} data-testid="config-set">
        Set
      </Button>
      {set.isPending && live !== null && !hold && (
        <p role="status" className="muted" data-testid="config-deploying">
          Making a release of {env} with the new config and deploying it: v{live} serves until it is healthy…
        </p>
      )}
      {/* The release the change made, until another one is live (then the card says what serves). */}
      {set.data?.deployed && (!set.data.deployed.ok || set.data.deployed.number === live) && (
        <div className="pipeline-form-error" role="status" data-testid="config-deployed" data-ok={set.data.deployed.ok ? "true" : "false"} data-number={set.data.deployed.number}>
          {set.data.deployed.ok ? (
            <p className="ok-text">
              {env} v{set.data.deployed.number} is live with config version {set.data.configVersion}
              {set.data.deployed.url && (
                <>
                  {" "}
                  at{" "}
                  <a href={set.data.deployed.url} target="_blank" rel="noreferrer">
                    {set.data.deployed.url}
                  </a>
                </>
              )}
              .
            </p>
          ) : (
            <ErrorBox title={`${env} v${set.data.deployed.number} failed; the release before it still serves`} error={set.data.deployed.error ?? "the deploy failed"} />
          )}
        </div>
      )}
      {set.data && !set.data.deployed && (
        <p className="muted small" role="status" data-testid="config-stored">
          Config version {set.data.configVersion} stored{set.data.held ? "" : ` (nothing is deployed in ${env} yet)`}: {env}&apos;s next release runs with it.
        </p>
      )}
      {set.isError && (
        <div className="pipeline-form-error">
          <ErrorBox title={`Could not set ${key || "the variable"}`} error={set.error} />
        </div>
      )}
    </form>
  );
}

/** An environment's config: values as its next release gets them, secrets masked for everyone. */
export function ConfigPanel({ project, env, canEdit }: { project: string; env: EnvironmentRow; canEdit: boolean }) {
  const trpc = useTRPC();
  const qc = useQueryClient();
  const config = useQuery(trpc.environments.config.queryOptions({ project, env: env.name }));
  const refresh = () => {
    void qc.invalidateQueries(trpc.environments.pathFilter());
    void qc.invalidateQueries(trpc.releases.pathFilter());
  };
  const unset = useMutation(trpc.environments.unsetConfig.mutationOptions({ onSuccess: refresh }));
  const [removing, setRemoving] = useState<string | null>(null);
  return (
    <Card title={`Config of ${env.name}`} data-testid="config-panel">
      <p className="muted small">
        {env.name}&apos;s own variables, given to its services as environment. Any change makes a new release of {env.name} with the same images and is deployed at once, as every release is (health check first; the release before keeps serving if it fails). &quot;Store only&quot; keeps a change for the next release.
      </p>
      {config.isError ? (
        <ErrorBox title={`Could not read the config of ${env.name}`} error={config.error} onRetry={() => void config.refetch()} />
      ) : !config.data ? (
        <Loading />
      ) : config.data.length === 0 ? (
        <EmptyState icon={<KeyRound size={24} />} title={`${env.name} has no variables`} command={`berth env config ${project} ${env.name} set KEY=VALUE`} data-testid="config-empty">
          {canEdit ? "Add one below, or from the CLI:" : "A member of the team sets them, here or from the CLI:"}
        </EmptyState>
      ) : (
        <Table caption={`Config of ${env.name}`}>
          <thead>
            <tr>
              <th scope="col">Name</th>
              <th scope="col">Value</th>
              <th scope="col">Changed</th>
              {canEdit && (
                <th scope="col">
                  <span className="sr-only">Actions</span>
                </th>
              )}
            </tr>
          </thead>
          <tbody>
            {config.data.map((v) => (
              <tr key={v.key} data-testid="config-row" data-key={v.key} data-secret={v.secret ? "true" : "false"}>
                <td className="mono nowrap">{v.key}</td>
                <td className="mono pipeline-value" data-testid="config-value">
                  {v.secret ? (
                    <>
                      <span className="nowrap" title="A secret: its value is never shown">{v.value}</span> <Badge tone="warn">secret</Badge>
                    </>
                  ) : (
                    v.value
                  )}
                </td>
                <td className="nowrap">
                  {v.updatedBy && <>{v.updatedBy} · </>}
                  <time dateTime={v.updatedAt} title={new Date(v.updatedAt).toLocaleString()}>
                    {formatAgo(v.updatedAt)}
                  </time>
                </td>
                {canEdit && (
                  <td className="actions">
                    <IconButton label={`Unset ${v.key}`} icon={<Trash2 size={14} />} onClick={() => setRemoving(v.key)} data-testid="config-unset" />
                  </td>
                )}
              </tr>
            ))}
          </tbody>
        </Table>
      )}
      {canEdit && <SetForm project={project} env={env.name} live={env.live?.number ?? null} onDone={refresh} />}
      <ConfirmDialog
        open={removing !== null}
        onOpenChange={(o) => !o && setRemoving(null)}
        title={`Unset ${removing ?? ""} in ${env.name}`}
        description={`${env.live ? `A new release of ${env.name} without ${removing ?? "it"} is made and deployed now` : `The next release of ${env.name} runs without ${removing ?? "it"}`}. The releases made before keep their own copy, so a rollback brings it back.`}
        confirmLabel="Unset"
        danger
        onConfirm={() => unset.mutateAsync({ project, env: env.name, keys: [removing ?? ""] })}
      />
    </Card>
  );
}
