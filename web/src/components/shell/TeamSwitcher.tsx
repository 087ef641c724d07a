"use client";
import { ChevronsUpDown } from "lucide-react";
import { useRole } from "../../lib/team";
import { LazyMenu } from "../ui";

const loadMenu = () => import("./TeamSwitcherMenu").then((m) => m.TeamSwitcherMenu);

/** The current team and its role; its menu (the user's other teams) loads when first opened. */
export function TeamSwitcher({ team }: { team: string }) {
  const { role, siteAdmin } = useRole();
  const shownRole = role ?? (siteAdmin ? "site admin" : "");
  return (
    <LazyMenu
      load={loadMenu}
      props={{ team }}
      trigger={
        <button type="button" className="team-switcher" data-testid="team-switcher">
          <span className="team-switcher-text">
            <span className="team-name">{team}</span>
            <span className="team-role" data-testid="team-role">
              {shownRole}
            </span>
          </span>
          <span className="sr-only">, switch team</span>
          <ChevronsUpDown size={14} aria-hidden="true" />
        </button>
      }
    />
  );
}
