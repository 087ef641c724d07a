"use client";
import { useState, type FormEvent } from "react";
import { useMutation, useQueryClient } from "@tanstack/react-query";
import { useTRPC } from "../../lib/query";
import { teamHref, useTeamName } from "../../lib/team";
import { Button, ButtonLink, CodeBlock, Dialog, ErrorBox, Field } from "../ui";
import { remoteHere } from "./remote";

/**
 * "New project", as `berth project create NAME [--from URL]`: once made, the dialog shows the git
 * commands to push a first branch (and, for a followed repository, the webhook secret: shown this
 * once, as the CLI prints it).
 */
export function NewProjectDialog({ open, onOpenChange }: { open: boolean; onOpenChange: (o: boolean) => void }) {
  const trpc = useTRPC();
  const qc = useQueryClient();
  const team = useTeamName();
  const [name, setName] = useState("");
  const [from, setFrom] = useState("");
  const [branch, setBranch] = useState("main");
  const create = useMutation(
    trpc.project.create.mutationOptions({
      onSuccess: () => void qc.invalidateQueries(trpc.project.list.pathFilter()),
    }),
  );
  const made = create.data;
  const close = (o: boolean) => {
    onOpenChange(o);
    if (!o) {
      create.reset();
      setName("");
      setFrom("");
      setBranch("main");
    }
  };
  const submit = (e: FormEvent) => {
    e.preventDefault();
    create.mutate({ name: name.trim(), defaultBranch: branch.trim() || "main", ...(from.trim() ? { from: from.trim() } : {}) });
  };
  return (
    <Dialog open={open} onOpenChange={close} title={made ? `Project ${made.project.name} is ready` : "New project"} description={made ? undefined : "A git repository hosted by Berth: every branch pushed to it becomes a preview."} wide data-testid="project-dialog">
      {made ? (
        <div className="form" data-testid="project-made">
          {made.project.upstreamUrl ? (
            <>
              <p>
                Berth follows <span className="mono">{made.project.upstreamUrl}</span>. Add a push webhook there pointing at this project, signed with this secret (shown only
                now):
              </p>
              <CodeBlock code={made.webhookSecret ?? ""} inline codeLabel="Webhook secret" />
              <p className="hint">Or fetch it now and then with the CLI:</p>
              <CodeBlock code={`berth project sync ${made.project.name}`} inline />
            </>
          ) : (
            <>
              <p>Push a branch to it, with an API token (berth token create) as the password:</p>
              <CodeBlock code={`git remote add berth ${remoteHere(made.project.remote)}\ngit push berth ${made.project.defaultBranch}`} codeLabel="Git commands" />
            </>
          )}
          <div className="dialog-actions">
            <Button onClick={() => close(false)}>Close</Button>
            <ButtonLink variant="primary" href={teamHref(team, `/projects/${encodeURIComponent(made.project.name)}`)} onClick={() => close(false)} data-testid="project-open">
              Open the project
            </ButtonLink>
          </div>
        </div>
      ) : (
        <form className="form" onSubmit={submit}>
          <Field label="Name" hint="lowercase letters, digits and single dashes" value={name} onChange={(e) => setName(e.target.value)} required spellCheck={false} autoComplete="off" className="mono" data-testid="project-name" />
          <div className="form-row">
            <Field label="Default branch" value={branch} onChange={(e) => setBranch(e.target.value)} spellCheck={false} className="mono" />
            <Field label="Follow a repository (optional)" hint="https URL on GitHub, GitLab or Gitea" value={from} onChange={(e) => setFrom(e.target.value)} spellCheck={false} className="mono" placeholder="https://github.com/acme/shop.git" />
          </div>
          {create.isError && <ErrorBox error={create.error} />}
          <div className="dialog-actions">
            <Button onClick={() => close(false)}>Cancel</Button>
            <Button type="submit" variant="primary" busy={create.isPending} data-testid="project-submit">
              Create
            </Button>
          </div>
        </form>
      )}
    </Dialog>
  );
}
