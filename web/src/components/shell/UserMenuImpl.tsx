"use client";
import { useState } from "react";
import { KeyRound, LogOut, Monitor, Moon, Sun } from "lucide-react";
import { useTRPCClient } from "../../lib/query";
import { useRole } from "../../lib/team";
import type { MenuImplProps } from "../ui";
import { Menu, MenuItem, MenuLabel, MenuRadio, MenuSeparator } from "../ui/DropdownMenu";
import { PasswordDialog } from "./PasswordDialog";
import { useTheme, type ThemeChoice } from "./theme";

/** The user menu itself (theme, password, sign out), loaded on first use by UserMenu. */
export function UserMenuImpl({ user, trigger, defaultOpen }: { user: { name: string; isAdmin: boolean } } & MenuImplProps) {
  const client = useTRPCClient();
  const { role } = useRole();
  const [theme, setTheme] = useTheme();
  const [passwordOpen, setPasswordOpen] = useState(false);

  const signOut = async () => {
    try {
      await client.auth.logout.mutate();
    } finally {
      // A full load: drops every cached answer of the signed-out user.
      window.location.assign("/");
    }
  };

  return (
    <>
      <Menu
        label="Account"
        align="start"
        trigger={trigger}
        defaultOpen={defaultOpen}
      >
        <MenuLabel>
          {user.name}
          {role ? ` · ${role}` : ""}
          {user.isAdmin ? " · site admin" : ""}
        </MenuLabel>
        <MenuSeparator />
        <MenuLabel>Theme</MenuLabel>
        <MenuRadio<ThemeChoice>
          value={theme}
          onChange={setTheme}
          options={[
            { value: "system", label: "System", icon: <Monitor size={14} /> },
            { value: "light", label: "Light", icon: <Sun size={14} /> },
            { value: "dark", label: "Dark", icon: <Moon size={14} /> },
          ]}
        />
        <MenuSeparator />
        <MenuItem icon={<KeyRound size={14} />} onSelect={() => setPasswordOpen(true)} data-testid="password-open">
          Change password
        </MenuItem>
        <MenuItem icon={<LogOut size={14} />} onSelect={() => void signOut()} data-testid="sign-out">
          Sign out
        </MenuItem>
      </Menu>
      <PasswordDialog open={passwordOpen} onOpenChange={setPasswordOpen} />
    </>
  );
}
