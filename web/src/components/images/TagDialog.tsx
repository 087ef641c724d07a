"use client";
import { useState, type FormEvent } from "react";
import { useQueryClient } from "@tanstack/react-query";
import { useTRPC, useTRPCClient } from "../../lib/query";
import { Button, Dialog, ErrorBox, Field } from "../ui";

/** `berth tag SOURCE TARGET`. */
export function TagDialog({ source, open, onOpenChange }: { source: string; open: boolean; onOpenChange: (o: boolean) => void }) {
  const trpc = useTRPC();
  const client = useTRPCClient();
  const qc = useQueryClient();
  const [target, setTarget] = useState("");
  const [error, setError] = useState<unknown>(null);
  const [busy, setBusy] = useState(false);
  async function submit(e: FormEvent) {
    e.preventDefault();
    setBusy(true);
    setError(null);
    try {
      await client.image.tag.mutate({ source, target: target.trim() });
      await qc.invalidateQueries({ queryKey: trpc.image.pathKey() });
      onOpenChange(false);
      setTarget("");
    } catch (err) {
      setError(err);
    } finally {
      setBusy(false);
    }
  }
  return (
    <Dialog open={open} onOpenChange={onOpenChange} title={`Tag ${source}`} description="Adds a name to the same image, as berth tag does." data-testid="tag-dialog">
      <form className="form" onSubmit={(e) => void submit(e)}>
        <Field label="New tag" hint="repository[:tag], e.g. app:1.0" value={target} onChange={(e) => setTarget(e.target.value)} required spellCheck={false} className="mono" data-testid="tag-target" />
        {error != null && <ErrorBox error={error} />}
        <div className="dialog-actions">
          <Button onClick={() => onOpenChange(false)}>Cancel</Button>
          <Button type="submit" variant="primary" busy={busy} data-testid="tag-submit">
            Tag
          </Button>
        </div>
      </form>
    </Dialog>
  );
}
