"use client";
import Link from "next/link";
import { usePathname } from "next/navigation";
import { useEffect, useState, type ReactNode } from "react";
import { useQuery } from "@tanstack/react-query";
import { useTRPC } from "../../lib/query";
import { LAST_TEAM_KEY, teamHref, useRole } from "../../lib/team";
import { ErrorBox } from "../ui";
import { LiveProvider, useLive } from "./live";
import { BrandIcon, SITE_NAV, TEAM_NAV } from "./nav";
import { TeamSwitcher } from "./TeamSwitcher";
import { UserMenu } from "./UserMenu";

/** Back to `/` (the sign-in form), remembering where the user was. */
function toSignIn() {
  const next = window.location.pathname + window.location.search;
  window.location.assign(`/?next=${encodeURIComponent(next)}`);
}

/** The team pages' frame: side navigation, team switcher, user menu; the page in the main area. */
export function Shell({ team, children }: { team: string; children: ReactNode }) {
  const trpc = useTRPC();
  const status = useQuery(trpc.auth.status.queryOptions(undefined, { staleTime: 60_000 }));
  const current = useQuery(trpc.team.current.queryOptions(undefined, { staleTime: 60_000, retry: false }));

  useEffect(() => {
    if (status.data && !status.data.user) toSignIn();
  }, [status.data]);
  useEffect(() => {
    if (current.data) {
      try {
        localStorage.setItem(LAST_TEAM_KEY, current.data.name);
      } catch {
        // No storage: `/` falls back to the personal team.
      }
    }
  }, [current.data]);

  if (status.isPending || (status.data && !status.data.user)) return <main className="center muted">Loading…</main>;
  if (status.isError) {
    return (
      <main className="center">
        <div className="auth-card">
          <ErrorBox title="Cannot reach the Berth server" error={status.error} onRetry={() => void status.refetch()} />
        </div>
      </main>
    );
  }
  const user = status.data!.user!;
  return (
    <LiveProvider team={team} onUnauthorized={toSignIn}>
      <div className="shell">
        <a className="skip-link" href="#main">
          Skip to content
        </a>
        <aside className="sidebar">
          <Link href={teamHref(team)} className="sidebar-brand">
            <BrandIcon size={20} aria-hidden="true" />
            Berth
          </Link>
          <TeamSwitcher team={team} />
          <SideNav team={team} siteAdmin={user.isAdmin} />
          <div className="sidebar-foot">
            <LiveDot />
            <UserMenu user={user} />
          </div>
        </aside>
        <main id="main" className="main">
          {current.isError ? <ErrorBox title={`Cannot open team ${team}`} error={current.error} /> : children}
        </main>
      </div>
    </LiveProvider>
  );
}

function SideNav({ team, siteAdmin }: { team: string; siteAdmin: boolean }) {
  const path = usePathname();
  const { can, loading } = useRole();
  const base = teamHref(team);
  const isActive = (href: string, exact: boolean) => (exact ? path === href : path === href || path.startsWith(`${href}/`));
  return (
    <nav className="sidenav" aria-label="Main">
      {TEAM_NAV.map((g) => (
        <div className="nav-group" key={g.group}>
          <p className="nav-group-label">{g.group}</p>
          <ul>
            {g.items
              .filter((i) => !i.needs || (!loading && can(i.needs)))
              .map((i) => {
                const href = base + i.path;
                const active = isActive(href, i.path === "");
                return (
                  <li key={i.path}>
                    <Link prefetch={false} href={href} className={active ? "nav-item active" : "nav-item"} aria-current={active ? "page" : undefined}>
                      <i.icon size={16} aria-hidden="true" />
                      {i.label}
                    </Link>
                  </li>
                );
              })}
          </ul>
        </div>
      ))}
      <div className="nav-group">
        <p className="nav-group-label">Account</p>
        <ul>
          {SITE_NAV.filter((i) => !i.siteAdmin || siteAdmin).map((i) => {
            const active = isActive(i.path, false);
            return (
              <li key={i.path}>
                <Link prefetch={false} href={i.path} className={active ? "nav-item active" : "nav-item"} aria-current={active ? "page" : undefined}>
                  <i.icon size={16} aria-hidden="true" />
                  {i.label}
                </Link>
              </li>
            );
          })}
        </ul>
      </div>
    </nav>
  );
}

function LiveDot() {
  const { connected } = useLive();
  const [shown, setShown] = useState(false);
  // Connecting takes a moment on every load: say "offline" only if it lasts.
  useEffect(() => {
    const t = setTimeout(() => setShown(true), 1500);
    return () => clearTimeout(t);
  }, []);
  const on = connected || !shown;
  return (
    <span className={connected ? "live on" : "live"} data-testid="live" title={connected ? "Live updates connected" : "Live updates disconnected: pages refresh when it reconnects"}>
      {on ? "Live" : "Offline"}
    </span>
  );
}
