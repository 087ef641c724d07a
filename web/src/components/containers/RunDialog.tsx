"use client";
import { useState, type FormEvent } from "react";
import { useRouter } from "next/navigation";
import { useQuery, useQueryClient } from "@tanstack/react-query";
import { useTRPC, useTRPCClient } from "../../lib/query";
import { parseCommand } from "../../lib/command";
import { teamHref, useTeamName } from "../../lib/team";
import { Button, Dialog, ErrorBox, Field } from "../ui";
import { parseEnv, parsePorts } from "./run-options";

/**
 * `berth run -d`: image, command, name, published ports, environment and restart policy. On
 * success it opens the new container's page.
 */
export function RunDialog({ open, onOpenChange, image: initialImage = "busybox" }: { open: boolean; onOpenChange: (o: boolean) => void; image?: string }) {
  const trpc = useTRPC();
  const client = useTRPCClient();
  const qc = useQueryClient();
  const router = useRouter();
  const team = useTeamName();
  const images = useQuery({ ...trpc.image.list.queryOptions(), enabled: open });
  const [image, setImage] = useState(initialImage);
  const [command, setCommand] = useState("");
  const [name, setName] = useState("");
  const [ports, setPorts] = useState("");
  const [env, setEnv] = useState("");
  const [restart, setRestart] = useState("no");
  const [error, setError] = useState<unknown>(null);
  const [busy, setBusy] = useState(false);

  async function submit(e: FormEvent) {
    e.preventDefault();
    setError(null);
    setBusy(true);
    try {
      const cmd = parseCommand(command);
      const publish = parsePorts(ports);
      const envs = parseEnv(env);
      const started = await client.container.run.mutate({
        image: image.trim(),
        detach: true,
        ...(cmd ? { cmd } : {}),
        ...(name.trim() ? { name: name.trim() } : {}),
        options: {
          ...(publish.length ? { publish } : {}),
          ...(envs.length ? { env: envs } : {}),
          ...(restart !== "no" ? { restart: { name: restart as "always", maximumRetryCount: 0 } } : {}),
        } as never,
      });
      await qc.invalidateQueries({ queryKey: trpc.container.pathKey() });
      onOpenChange(false);
      router.push(teamHref(team, `/containers/${encodeURIComponent(started.name)}`));
    } catch (err) {
      setError(err);
    } finally {
      setBusy(false);
    }
  }

  const tags = (images.data ?? []).flatMap((i) => i.tags);
  return (
    <Dialog open={open} onOpenChange={onOpenChange} title="Run a container" description="Starts it in the background, as berth run -d does." wide data-testid="run-dialog">
      <form className="form" onSubmit={(e) => void submit(e)}>
        <div className="form-row">
          <Field label="Image" data-testid="run-image" value={image} onChange={(e) => setImage(e.target.value)} required spellCheck={false} list="run-image-tags" />
          <Field label="Name (optional)" data-testid="run-name" value={name} onChange={(e) => setName(e.target.value)} spellCheck={false} placeholder="generated when empty" />
        </div>
        <datalist id="run-image-tags">
          {tags.map((t) => (
            <option key={t} value={t} />
          ))}
        </datalist>
        <Field label="Command" hint="Empty: the image's default command. Quoted as in a shell." data-testid="run-command" className="mono" value={command} onChange={(e) => setCommand(e.target.value)} placeholder="sleep 1d" spellCheck={false} />
        <div className="form-row">
          <Field label="Publish ports" hint="HOST:CONTAINER, comma-separated (e.g. 8080:80)" data-testid="run-ports" value={ports} onChange={(e) => setPorts(e.target.value)} spellCheck={false} />
          <div className="field">
            <label htmlFor="run-restart">Restart policy</label>
            <select id="run-restart" value={restart} onChange={(e) => setRestart(e.target.value)}>
              <option value="no">no</option>
              <option value="on-failure">on-failure</option>
              <option value="unless-stopped">unless-stopped</option>
              <option value="always">always</option>
            </select>
          </div>
        </div>
        <div className="field">
          <label htmlFor="run-env">Environment</label>
          <textarea id="run-env" className="mono" rows={3} value={env} onChange={(e) => setEnv(e.target.value)} placeholder={"KEY=value, one a line"} spellCheck={false} />
        </div>
        {error != null && <ErrorBox error={error} />}
        <div className="dialog-actions">
          <Button onClick={() => onOpenChange(false)}>Cancel</Button>
          <Button type="submit" variant="primary" busy={busy} data-testid="run-submit">
            {busy ? "Starting…" : "Run"}
          </Button>
        </div>
      </form>
    </Dialog>
  );
}
