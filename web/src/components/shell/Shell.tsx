"use client";
import Link from "next/link";
import { usePathname } from "next/navigation";
import { useEffect, useState, type ReactNode } from "react";
import { useQuery } from "@tanstack/react-query";
import { useTRPC } from "../../lib/query";
import { LAST_TEAM_KEY, teamHref, useRole } from "../../lib/team";
import { ErrorBox } from "../ui";
import { LiveProvider, useLive } from "./live";
import { BrandIcon, SITE_NAV, TEAM_NAV, type NavItem } from "./nav";
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

  if (status.isError) {
    return (
      <main className="center">
        <div className="auth-card">
          <ErrorBox title="Cannot reach the Berth server" error={status.error} onRetry={() => void status.refetch()} />
        </div>
      </main>
    );
  }
  // The frame and the page render at once (in the server's HTML too) rather than after auth.status
  // answers: the page's own queries then go out in the same batch as auth.status, and the first
  // paint shows the page's layout instead of "Loading…". A signed-out visitor sees no data (every
  // query is refused) and is sent to the sign-in form as soon as auth.status says so.
  const user = status.data?.user ?? null;
  const signedOut = status.data !== undefined && !user;
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
          <SideNav team={team} siteAdmin={user?.isAdmin ?? false} userPending={status.isPending} />
          <div className="sidebar-foot">
            <LiveDot />
            {user ? <UserMenu user={user} /> : <div className="user-button-placeholder" aria-hidden="true" />}
          </div>
        </aside>
        <main id="main" className="main">
          {signedOut ? <p className="muted">Loading…</p> : current.isError ? <ErrorBox title={`Cannot open team ${team}`} error={current.error} /> : children}
        </main>
      </div>
    </LiveProvider>
  );
}

/**
 * While the role (or the user) is still loading, an item it may hide keeps its place, unseen, so
 * the links below it (on a phone, the page itself) do not move when the answer comes.
 */
function PendingItem({ item }: { item: NavItem }) {
  return (
    <li className="nav-pending" aria-hidden="true">
      <span className="nav-item">
        <item.icon size={16} aria-hidden="true" />
        {item.label}
      </span>
    </li>
  );
}

function SideNav({ team, siteAdmin, userPending }: { team: string; siteAdmin: boolean; userPending: boolean }) {
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
              .filter((i) => !i.needs || loading || can(i.needs))
              .map((i) => {
                if (i.needs && loading) return <PendingItem key={i.path} item={i} />;
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
          {SITE_NAV.filter((i) => !i.siteAdmin || siteAdmin || userPending).map((i) => {
            if (i.siteAdmin && userPending) return <PendingItem key={i.path} item={i} />;
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
