"use client";
import { useEffect } from "react";
import { useRouter } from "next/navigation";
import { useQuery } from "@tanstack/react-query";
import { useTRPC, useTRPCClient } from "../../lib/query";
import { LAST_TEAM_KEY, teamHref } from "../../lib/team";
import { AuthForm } from "../AuthForm";
import { ErrorBox } from "../ui";

/** Where `?next=` may send the user: a path of this site, never another origin. */
function safeNext(): string | null {
  const next = new URLSearchParams(window.location.search).get("next");
  return next && next.startsWith("/") && !next.startsWith("//") && !next.startsWith("/\\") ? next : null;
}

/** `/`: the sign-in (or first set-up) form; once signed in, the team the user was last in. */
export function Home() {
  const trpc = useTRPC();
  const client = useTRPCClient();
  const router = useRouter();
  const status = useQuery(trpc.auth.status.queryOptions());
  const signedIn = !!status.data?.user;

  useEffect(() => {
    if (!signedIn) return;
    let cancelled = false;
    void (async () => {
      const next = safeNext();
      if (next) return router.replace(next);
      let team: string | null = null;
      try {
        const last = localStorage.getItem(LAST_TEAM_KEY);
        const teams = await client.team.list.query();
        if (last && teams.some((t) => t.name === last)) team = last;
      } catch {
        // Fall through to the personal team.
      }
      team ??= (await client.team.current.query()).name;
      if (!cancelled) router.replace(teamHref(team));
    })().catch(() => {
      if (!cancelled) router.replace("/teams");
    });
    return () => {
      cancelled = true;
    };
  }, [signedIn, client, router]);

  if (status.isError) {
    return (
      <main className="center">
        <div className="auth-card">
          <h1 className="brand">Berth</h1>
          <ErrorBox title="Cannot reach the Berth server" error={status.error} onRetry={() => void status.refetch()} />
        </div>
      </main>
    );
  }
  if (!status.data || signedIn) return <main className="center muted">Loading…</main>;
  return <AuthForm mode={status.data.needsSetup ? "setup" : "login"} oidc={status.data.oidc} onDone={() => void status.refetch()} />;
}
