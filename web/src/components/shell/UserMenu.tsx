"use client";
import { useState } from "react";
import { KeyRound, LogOut, Monitor, Moon, Sun, UserRound } from "lucide-react";
import { useTRPCClient } from "../../lib/query";
import { useRole } from "../../lib/team";
import { Menu, MenuItem, MenuLabel, MenuRadio, MenuSeparator } from "../ui";
import { PasswordDialog } from "./PasswordDialog";
import { useTheme, type ThemeChoice } from "./theme";

export function UserMenu({ user }: { user: { name: string; isAdmin: boolean } }) {
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
        trigger={
          <button type="button" className="user-button" data-testid="user-menu" aria-label={`Account: ${user.name}`}>
            <UserRound size={16} aria-hidden="true" />
            <span className="user-name">{user.name}</span>
            {user.isAdmin && <span className="user-tag">admin</span>}
          </button>
        }
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
