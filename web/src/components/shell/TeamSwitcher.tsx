"use client";
import { useQuery } from "@tanstack/react-query";
import { ChevronsUpDown, Plus, Users } from "lucide-react";
import { useTRPC } from "../../lib/query";
import { teamHref, useRole } from "../../lib/team";
import { Menu, MenuLabel, MenuLink, MenuSeparator } from "../ui";

/** The current team and its role; the menu lists the user's other teams (a full load: every query is per team). */
export function TeamSwitcher({ team }: { team: string }) {
  const trpc = useTRPC();
  const teams = useQuery(trpc.team.list.queryOptions(undefined, { staleTime: 60_000 }));
  const { role, siteAdmin } = useRole();
  const shownRole = role ?? (siteAdmin ? "site admin" : "");
  return (
    <Menu
      align="start"
      label="Switch team"
      trigger={
        <button type="button" className="team-switcher" data-testid="team-switcher" aria-label={`Team ${team}, role ${shownRole || "unknown"}: switch team`}>
          <span className="team-switcher-text">
            <span className="team-name">{team}</span>
            <span className="team-role" data-testid="team-role">
              {shownRole}
            </span>
          </span>
          <ChevronsUpDown size={14} aria-hidden="true" />
        </button>
      }
    >
      <MenuLabel>Your teams</MenuLabel>
      {(teams.data ?? []).map((t) => (
        <MenuLink key={t.name} href={teamHref(t.name)} icon={<Users size={14} />}>
          {t.name}
          {t.name === team ? " (current)" : ""}
        </MenuLink>
      ))}
      <MenuSeparator />
      <MenuLink href="/teams" icon={<Plus size={14} />}>
        Create or manage teams
      </MenuLink>
    </Menu>
  );
}
