"use client";
import { useState, type FormEvent } from "react";
import { useTRPCClient } from "../../lib/query";
import { Button, Dialog, ErrorBox, Field } from "../ui";

/** The signed-in user changes their own password (the old one is asked for again). */
export function PasswordDialog({ open, onOpenChange }: { open: boolean; onOpenChange: (o: boolean) => void }) {
  const client = useTRPCClient();
  const [oldPassword, setOld] = useState("");
  const [newPassword, setNew] = useState("");
  const [repeat, setRepeat] = useState("");
  const [error, setError] = useState<unknown>(null);
  const [done, setDone] = useState(false);
  const [busy, setBusy] = useState(false);

  const change = (o: boolean) => {
    if (!o) {
      setError(null);
      setDone(false);
    }
    onOpenChange(o);
  };

  async function submit(e: FormEvent) {
    e.preventDefault();
    setError(null);
    setDone(false);
    if (newPassword.length < 8) return setError(new Error("The new password must be at least 8 characters."));
    if (newPassword !== repeat) return setError(new Error("The two new passwords differ."));
    setBusy(true);
    try {
      await client.auth.changePassword.mutate({ oldPassword, newPassword });
      setDone(true);
      setOld("");
      setNew("");
      setRepeat("");
    } catch (err) {
      setError(err);
    } finally {
      setBusy(false);
    }
  }

  return (
    <Dialog open={open} onOpenChange={change} title="Change password" description="At least 8 characters. Your other sessions are signed out.">
      <form className="form" data-testid="password-form" onSubmit={(e) => void submit(e)}>
        <Field label="Current password" name="old-password" type="password" autoComplete="current-password" value={oldPassword} onChange={(e) => setOld(e.target.value)} />
        <Field label="New password" name="new-password" type="password" autoComplete="new-password" minLength={8} required value={newPassword} onChange={(e) => setNew(e.target.value)} />
        <Field label="New password again" name="repeat-password" type="password" autoComplete="new-password" minLength={8} required value={repeat} onChange={(e) => setRepeat(e.target.value)} />
        {error != null && (
          <div data-testid="password-error">
            <ErrorBox error={error} />
          </div>
        )}
        {done && (
          <p className="ok-text" role="status" data-testid="password-done">
            Password changed.
          </p>
        )}
        <div className="dialog-actions">
          <Button onClick={() => change(false)}>Close</Button>
          <Button type="submit" variant="primary" busy={busy} data-testid="password-submit">
            Change password
          </Button>
        </div>
      </form>
    </Dialog>
  );
}
