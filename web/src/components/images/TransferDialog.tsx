"use client";
import { useState, type FormEvent } from "react";
import { useQueryClient } from "@tanstack/react-query";
import { teamFetch, useTRPC, useTRPCClient } from "../../lib/query";
import { useTeamName } from "../../lib/team";
import { ndjson } from "../../lib/ndjson";
import { Button, Dialog, ErrorBox, Field } from "../ui";
import { RepoSearch } from "../RepoSearch";

type Line = { progress?: { id?: string; status?: string }; result?: unknown; error?: { kind: string; message: string } };

/**
 * `berth pull REF` / `berth push REF` from the browser: the registry route's NDJSON progress
 * shown as it comes. Push tags the image with the target name first when it differs (docker
 * needs `tag` then `push`). Credentials are optional (a public registry, or Berth's own for pulls).
 */
export function TransferDialog({ mode, open, onOpenChange, source }: { mode: "pull" | "push"; open: boolean; onOpenChange: (o: boolean) => void; source?: string }) {
  const team = useTeamName();
  const trpc = useTRPC();
  const client = useTRPCClient();
  const qc = useQueryClient();
  const host = typeof window === "undefined" ? "" : window.location.host;
  const [ref, setRef] = useState(mode === "push" ? (source?.includes("/") && source.split("/")[0]!.includes(":") ? source : `${host}/${team}/${(source ?? "image:latest").replace(/^.*\//, "")}`) : "");
  const [user, setUser] = useState("");
  const [password, setPassword] = useState("");
  const [lines, setLines] = useState<string[]>([]);
  const [error, setError] = useState<unknown>(null);
  const [done, setDone] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);

  async function submit(e: FormEvent) {
    e.preventDefault();
    setError(null);
    setDone(null);
    setLines([]);
    setBusy(true);
    try {
      const target = ref.trim();
      if (mode === "push" && source && source !== target) await client.image.tag.mutate({ source, target });
      const res = await teamFetch(team, `/api/images/${mode}`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ ref: target, ...(user && password ? { creds: { username: user, password } } : {}) }),
      });
      for await (const l of ndjson<Line>(res)) {
        if (l.progress) setLines((cur) => [...cur.slice(-200), `${l.progress!.id ? `${l.progress!.id}: ` : ""}${l.progress!.status ?? ""}`]);
        if (l.error) throw new Error(l.error.message);
        if (l.result) setDone(mode === "pull" ? `Pulled ${target}` : `Pushed ${target}`);
      }
      await qc.invalidateQueries({ queryKey: trpc.image.pathKey() });
    } catch (err) {
      setError(err);
    } finally {
      setBusy(false);
    }
  }

  const title = mode === "pull" ? "Pull an image" : `Push ${source ?? ""}`;
  return (
    <Dialog open={open} onOpenChange={onOpenChange} title={title} description={mode === "pull" ? "As berth pull: from a registry into this team." : "As berth push: to a registry, named with its host."} wide data-testid={`${mode}-dialog`}>
      <form className="form" onSubmit={(e) => void submit(e)}>
        <Field
          label={mode === "pull" ? "Image" : "Push as"}
          hint={mode === "pull" ? "host[:port]/repository[:tag], e.g. 127.0.0.1:3000/team/app:1.0" : "The registry host is part of the name."}
          value={ref}
          onChange={(e) => setRef(e.target.value)}
          required
          spellCheck={false}
          className="mono"
          data-testid={`${mode}-ref`}
        />
        <div className="form-row">
          <Field label="Registry user (optional)" value={user} onChange={(e) => setUser(e.target.value)} autoComplete="username" />
          <Field label="Password or token (optional)" type="password" value={password} onChange={(e) => setPassword(e.target.value)} autoComplete="current-password" />
        </div>
        {lines.length > 0 && (
          <pre className="output" aria-live="polite">
            {lines.join("\n")}
          </pre>
        )}
        {error != null && <ErrorBox error={error} />}
        {done && (
          <p className="ok-text" role="status">
            {done}
          </p>
        )}
        <div className="dialog-actions">
          <Button onClick={() => onOpenChange(false)}>{done ? "Close" : "Cancel"}</Button>
          <Button type="submit" variant="primary" busy={busy} data-testid={`${mode}-submit`}>
            {mode === "pull" ? "Pull" : "Push"}
          </Button>
        </div>
      </form>
      {mode === "pull" && (
        <details className="search-box" data-testid="pull-search">
          <summary>Search this Berth&apos;s registry</summary>
          <RepoSearch onUnauthorized={() => window.location.assign("/")} onPick={(repo) => setRef(`${host}/${repo}:latest`)} />
        </details>
      )}
    </Dialog>
  );
}
