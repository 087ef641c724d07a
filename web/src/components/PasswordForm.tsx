"use client";
import { useState, type FormEvent } from "react";
import { errorMessage, trpc } from "../lib/trpc";

/** The signed-in user changes their own password (the old one is asked for again). */
export function PasswordForm({ onClose }: { onClose: () => void }) {
  const [oldPassword, setOld] = useState("");
  const [newPassword, setNew] = useState("");
  const [repeat, setRepeat] = useState("");
  const [error, setError] = useState<string | null>(null);
  const [done, setDone] = useState(false);
  const [busy, setBusy] = useState(false);

  async function submit(e: FormEvent) {
    e.preventDefault();
    setError(null);
    if (newPassword.length < 8) return setError("The new password must be at least 8 characters.");
    if (newPassword !== repeat) return setError("The two new passwords differ.");
    setBusy(true);
    try {
      await trpc.auth.changePassword.mutate({ oldPassword, newPassword });
      setDone(true);
      setOld("");
      setNew("");
      setRepeat("");
    } catch (err) {
      setError(errorMessage(err));
    } finally {
      setBusy(false);
    }
  }

  return (
    <form className="card auth inset" data-testid="password-form" onSubmit={(e) => void submit(e)}>
      <h2>Change password</h2>
      <label>
        Current password
        <input name="old-password" type="password" autoComplete="current-password" value={oldPassword} onChange={(e) => setOld(e.target.value)} />
      </label>
      <label>
        New password
        <input name="new-password" type="password" autoComplete="new-password" minLength={8} required value={newPassword} onChange={(e) => setNew(e.target.value)} />
      </label>
      <label>
        New password again
        <input name="repeat-password" type="password" autoComplete="new-password" minLength={8} required value={repeat} onChange={(e) => setRepeat(e.target.value)} />
      </label>
      <p className="hint">At least 8 characters. Your other sessions are signed out.</p>
      {error && (
        <p className="error" role="alert" data-testid="password-error">
          {error}
        </p>
      )}
      {done && (
        <p className="muted" role="status" data-testid="password-done">
          Password changed.
        </p>
      )}
      <button type="submit" className="primary" disabled={busy} data-testid="password-submit">
        Change password
      </button>
      <button type="button" className="link" onClick={onClose}>
        Close
      </button>
    </form>
  );
}
