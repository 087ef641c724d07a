"use client";
import { useCallback, useEffect, useState } from "react";
import { errorMessage, trpc } from "../lib/trpc";
import { AuthForm } from "./AuthForm";

type Status = { needsSetup: boolean; user: { name: string; isAdmin: boolean } | null; oidc: string | null };

/**
 * Joins the signed-in user to the invitation's team when they press Join (never on load: a
 * link preview or prefetch must not spend a one-time invitation). Signs in first if needed.
 */
export function InviteJoin({ token }: { token: string }) {
  const [status, setStatus] = useState<Status | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [joined, setJoined] = useState<{ team: string; role: string } | null>(null);
  const [busy, setBusy] = useState(false);

  const refresh = useCallback(async () => {
    try {
      setStatus(await trpc.auth.status.query());
    } catch (err) {
      setError(errorMessage(err));
    }
  }, []);

  useEffect(() => {
    void refresh();
  }, [refresh]);

  const join = async () => {
    setBusy(true);
    setError(null);
    try {
      setJoined(await trpc.team.acceptInvite.mutate({ token }));
    } catch (err) {
      setError(errorMessage(err));
    } finally {
      setBusy(false);
    }
  };

  if (!status && !error) return <main className="center muted">Loading…</main>;
  if (status && !status.user) return <AuthForm mode="login" oidc={status.oidc} onDone={() => void refresh()} />;
  return (
    <main className="center">
      <div className="card auth">
        <h1 className="brand">Berth</h1>
        {joined ? (
          <>
            <p data-testid="invite-joined">
              You joined team <b>{joined.team}</b> as {joined.role}.
            </p>
            <p className="muted">In the CLI: berth team use {joined.team}</p>
            <a href="/">Open the dashboard</a>
          </>
        ) : (
          <>
            <p>
              {status?.user ? (
                <>
                  Signed in as <b>{status.user.name}</b>. This one-time invitation adds you to a team.
                </>
              ) : null}
            </p>
            {error ? (
              <>
                <p className="error" role="alert" data-testid="invite-error">
                  {error}
                </p>
                <a href="/">Open the dashboard</a>
              </>
            ) : (
              <button className="primary" onClick={() => void join()} disabled={busy || !status?.user}>
                {busy ? "Joining…" : "Join team"}
              </button>
            )}
          </>
        )}
      </div>
    </main>
  );
}
