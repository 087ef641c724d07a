"use client";
import { UserRound } from "lucide-react";
import { LazyMenu } from "../ui";

const loadMenu = () => import("./UserMenuImpl").then((m) => m.UserMenuImpl);

/** The signed-in user's button; its menu (theme, password, sign out) loads when first opened. */
export function UserMenu({ user }: { user: { name: string; isAdmin: boolean } }) {
  return (
    <LazyMenu
      load={loadMenu}
      props={{ user }}
      trigger={
        <button type="button" className="user-button" data-testid="user-menu">
          <UserRound size={16} aria-hidden="true" />
          <span className="user-name">{user.name}</span>
          {user.isAdmin && <span className="user-tag">admin</span>}
          <span className="sr-only">, account menu</span>
        </button>
      }
    />
  );
}
