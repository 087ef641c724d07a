"use client";
import { useQuery } from "@tanstack/react-query";
import { Plus, Users } from "lucide-react";
import { useTRPC } from "../../lib/query";
import { teamHref } from "../../lib/team";
import type { MenuImplProps } from "../ui";
import { Menu, MenuLabel, MenuLink, MenuSeparator } from "../ui/DropdownMenu";

/** The team switcher's menu: the user's teams (a full load: every query is per team), loaded on first use by TeamSwitcher. */
export function TeamSwitcherMenu({ team, trigger, defaultOpen }: { team: string } & MenuImplProps) {
  const trpc = useTRPC();
  const teams = useQuery(trpc.team.list.queryOptions(undefined, { staleTime: 60_000 }));
  return (
    <Menu
      align="start"
      label="Switch team"
      trigger={trigger}
      defaultOpen={defaultOpen}
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
