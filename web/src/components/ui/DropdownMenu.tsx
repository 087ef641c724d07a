"use client";
import type { ReactNode } from "react";
import { DropdownMenu as M } from "radix-ui";
import { Check } from "lucide-react";

/**
 * A menu opened from `trigger` (a button: pass one with asChild semantics, e.g. <Button>).
 * Loaded on first use through LazyMenu (which opens it at once with `defaultOpen`).
 */
export function Menu({ trigger, children, align = "end", label, defaultOpen }: { trigger: ReactNode; children: ReactNode; align?: "start" | "end"; label?: string; defaultOpen?: boolean }) {
  return (
    <M.Root defaultOpen={defaultOpen}>
      <M.Trigger asChild>{trigger}</M.Trigger>
      <M.Portal>
        <M.Content className="menu" align={align} sideOffset={4} aria-label={label}>
          {children}
        </M.Content>
      </M.Portal>
    </M.Root>
  );
}

export function MenuItem({ children, onSelect, icon, danger, disabled, ...rest }: { children: ReactNode; onSelect?: (e: Event) => void; icon?: ReactNode; danger?: boolean; disabled?: boolean; "data-testid"?: string }) {
  return (
    <M.Item className={danger ? "menu-item danger" : "menu-item"} onSelect={onSelect} disabled={disabled} {...rest}>
      {icon && <span className="menu-icon" aria-hidden="true">{icon}</span>}
      {children}
    </M.Item>
  );
}

/** A menu item that navigates (keeps the link semantics: middle click, copy link). */
export function MenuLink({ href, children, icon }: { href: string; children: ReactNode; icon?: ReactNode }) {
  return (
    <M.Item asChild className="menu-item">
      <a href={href}>
        {icon && <span className="menu-icon" aria-hidden="true">{icon}</span>}
        {children}
      </a>
    </M.Item>
  );
}

export function MenuLabel({ children }: { children: ReactNode }) {
  return <M.Label className="menu-label">{children}</M.Label>;
}

export function MenuSeparator() {
  return <M.Separator className="menu-sep" />;
}

export function MenuRadio<T extends string>({ value, onChange, options }: { value: T; onChange: (v: T) => void; options: { value: T; label: string; icon?: ReactNode }[] }) {
  return (
    <M.RadioGroup value={value} onValueChange={(v) => onChange(v as T)}>
      {options.map((o) => (
        <M.RadioItem key={o.value} value={o.value} className="menu-item">
          <span className="menu-icon" aria-hidden="true">{o.icon}</span>
          {o.label}
          <M.ItemIndicator className="menu-check">
            <Check size={14} />
          </M.ItemIndicator>
        </M.RadioItem>
      ))}
    </M.RadioGroup>
  );
}
