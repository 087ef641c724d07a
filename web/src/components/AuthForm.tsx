"use client";
import { useEffect, useState, type FormEvent } from "react";
import { errorMessage, trpc } from "../lib/trpc";

export function AuthForm({ mode, oidc, onDone }: { mode: "setup" | "login"; oidc: string | null; onDone: () => void }) {
  const [name, setName] = useState(mode === "setup" ? "admin" : "");
  const [password, setPassword] = useState("");
  const [code, setCode] = useState("");
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const setup = mode === "setup";
  // `npm start` prints http://…/?setup=CODE: fill the code in from there.
  useEffect(() => {
    const fromUrl = new URLSearchParams(window.location.search).get("setup");
    if (setup && fromUrl) setCode(fromUrl);
  }, [setup]);

  async function submit(e: FormEvent) {
    e.preventDefault();
    setError(null);
    if (setup && password.length < 8) {
      setError("The password must be at least 8 characters.");
      return;
    }
    setBusy(true);
    try {
      if (setup) {
        await trpc.auth.setup.mutate({ name, password, code });
        // The code is used up: do not leave it in the address bar or the history.
        const url = new URL(window.location.href);
        url.searchParams.delete("setup");
        window.history.replaceState(null, "", url);
      } else await trpc.auth.login.mutate({ name, password });
      onDone();
    } catch (err) {
      setError(errorMessage(err));
    } finally {
      setBusy(false);
    }
  }

  return (
    <main className="center">
      <form className="card auth" data-testid={setup ? "setup-form" : "login-form"} onSubmit={(e) => void submit(e)}>
        <h1 className="brand">Berth</h1>
        {setup ? (
          <p className="muted">Welcome. Create the administrator account to finish setting up this Berth.</p>
        ) : (
          <p className="muted">Sign in to continue.</p>
        )}
        {setup && (
          <label>
            Set-up code
            <input name="code" autoComplete="off" spellCheck={false} value={code} onChange={(e) => setCode(e.target.value)} required />
          </label>
        )}
        {setup && <p className="hint">Printed by npm start, and kept in setup.code in Berth&apos;s home directory.</p>}
        <label>
          Username
          <input name="username" autoComplete="username" value={name} onChange={(e) => setName(e.target.value)} required autoFocus={!setup} />
        </label>
        <label>
          Password
          <input
            name="password"
            type="password"
            autoComplete={setup ? "new-password" : "current-password"}
            value={password}
            onChange={(e) => setPassword(e.target.value)}
            minLength={setup ? 8 : undefined}
            required
            autoFocus={setup}
          />
        </label>
        {setup && <p className="hint">At least 8 characters.</p>}
        {error && (
          <p className="error" role="alert" data-testid="auth-error">
            {error}
          </p>
        )}
        <button type="submit" className="primary" disabled={busy} data-testid={setup ? "setup-submit" : "login-submit"}>
          {setup ? "Create account" : "Sign in"}
        </button>
        {!setup && oidc && (
          // A plain link: the provider's pages need a full navigation, not a fetch.
          <a className="button" href="/auth/oidc/login" data-testid="oidc-login">
            Sign in with {oidc}
          </a>
        )}
      </form>
    </main>
  );
}
