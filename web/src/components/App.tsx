"use client";
import { useCallback, useEffect, useState } from "react";
import { errorMessage, trpc } from "../lib/trpc";
import { AuthForm } from "./AuthForm";
import { Dashboard } from "./Dashboard";

type Status = { needsSetup: boolean; oidc: string | null; user: { name: string; isAdmin: boolean } | null };

export function App() {
  const [status, setStatus] = useState<Status | null>(null);
  const [error, setError] = useState<string | null>(null);

  const refresh = useCallback(async () => {
    try {
      setStatus(await trpc.auth.status.query());
      setError(null);
    } catch (err) {
      setError(errorMessage(err));
    }
  }, []);

  useEffect(() => {
    void refresh();
  }, [refresh]);

  if (error) {
    return (
      <main className="center">
        <div className="card">
          <h1 className="brand">Berth</h1>
          <p className="error">Cannot reach the Berth server: {error}</p>
          <button onClick={() => void refresh()}>Retry</button>
        </div>
      </main>
    );
  }
  if (!status) return <main className="center muted">Loading…</main>;
  if (!status.user) {
    return <AuthForm mode={status.needsSetup ? "setup" : "login"} oidc={status.oidc} onDone={() => void refresh()} />;
  }
  return <Dashboard user={status.user} onSignedOut={() => void refresh()} />;
}
