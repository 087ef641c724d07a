"use client";
import Link from "next/link";
import { usePathname } from "next/navigation";
import type { ReactNode } from "react";

export interface TabLink {
  href: string;
  label: string;
  icon?: ReactNode;
  /** Active only on this exact path (the first tab, whose path prefixes the others). */
  exact?: boolean;
}

/** Tabs that are links: each has its own URL, so a tab can be shared and reloaded. */
export function Tabs({ items, label }: { items: TabLink[]; label: string }) {
  const path = usePathname();
  return (
    <nav className="tabs" aria-label={label}>
      {items.map((t) => {
        const active = t.exact ? path === t.href : path === t.href || path.startsWith(`${t.href}/`);
        return (
          <Link prefetch={false} key={t.href} href={t.href} className={active ? "tab active" : "tab"} aria-current={active ? "page" : undefined}>
            {t.icon && <span aria-hidden="true">{t.icon}</span>}
            {t.label}
          </Link>
        );
      })}
    </nav>
  );
}
