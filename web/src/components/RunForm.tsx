"use client";
import { useState, type FormEvent } from "react";
import { trpc } from "../lib/trpc";
import { parseCommand } from "../lib/command";

export function RunForm({ onStarted, onError }: { onStarted: (c: { id: string; name: string }) => void; onError: (err: unknown) => void }) {
  const [image, setImage] = useState("busybox");
  const [command, setCommand] = useState("");
  const [name, setName] = useState("");
  const [busy, setBusy] = useState(false);

  async function submit(e: FormEvent) {
    e.preventDefault();
    setBusy(true);
    try {
      const cmd = parseCommand(command);
      const started = await trpc.container.run.mutate({
        image: image.trim(),
        ...(cmd ? { cmd } : {}),
        ...(name.trim() ? { name: name.trim() } : {}),
      });
      onStarted(started);
    } catch (err) {
      onError(err);
    } finally {
      setBusy(false);
    }
  }

  return (
    <form className="run" onSubmit={(e) => void submit(e)}>
      <label>
        Image
        <input data-testid="run-image" value={image} onChange={(e) => setImage(e.target.value)} required spellCheck={false} />
      </label>
      <label>
        Command
        <input
          data-testid="run-command"
          value={command}
          onChange={(e) => setCommand(e.target.value)}
          placeholder="echo hello   (empty: the image's default)"
          spellCheck={false}
          className="mono"
        />
      </label>
      <label>
        <span>
          Name <span className="muted small">(optional)</span>
        </span>
        <input data-testid="run-name" value={name} onChange={(e) => setName(e.target.value)} spellCheck={false} />
      </label>
      <button type="submit" className="primary" data-testid="run-submit" disabled={busy}>
        {busy ? "Starting…" : "Run"}
      </button>
    </form>
  );
}
