"use client";
import { cloneElement, useRef, useState, type ComponentType, type KeyboardEvent, type PointerEvent, type ReactElement } from "react";

/** What a lazily loaded menu gets: the trigger to wrap (Radix's asChild) and whether to open at once. */
export interface MenuImplProps {
  trigger: ReactElement;
  defaultOpen: boolean;
}

type TriggerProps = Record<string, unknown>;

/**
 * A dropdown menu whose code (Radix's menu, popper, focus handling) loads on first use instead of
 * with every page: until then the trigger is the plain button, which starts the load on hover or
 * focus and opens the menu on press, as Radix's own trigger does (pointer down, Enter, Space, ↓).
 */
export function LazyMenu<P extends object>({ trigger, load, props }: { trigger: ReactElement<TriggerProps>; load: () => Promise<ComponentType<P & MenuImplProps>>; props: P }) {
  const [impl, setImpl] = useState<{ C: ComponentType<P & MenuImplProps> } | null>(null);
  const [openAtOnce, setOpenAtOnce] = useState(false);
  const pending = useRef<Promise<ComponentType<P & MenuImplProps>> | null>(null);
  const fetchImpl = () => {
    pending.current ??= load().catch((err: unknown) => {
      // A failed chunk load (server restarted, network blip): the next press tries again.
      pending.current = null;
      throw err;
    });
    return pending.current;
  };
  const preload = () => {
    fetchImpl().catch(() => {
      // Only a head start: the press that needs the menu reports the failure.
    });
  };
  const open = () => {
    fetchImpl().then(
      (C) => {
        setOpenAtOnce(true);
        setImpl({ C });
      },
      (err: unknown) => reportError(err),
    );
  };
  if (impl) return <impl.C {...props} trigger={trigger} defaultOpen={openAtOnce} />;
  return cloneElement(trigger, {
    "aria-haspopup": "menu",
    "aria-expanded": false,
    onPointerEnter: preload,
    onFocus: preload,
    onPointerDown: (e: PointerEvent) => {
      if (e.button !== 0 || e.ctrlKey) return;
      e.preventDefault();
      open();
    },
    onKeyDown: (e: KeyboardEvent) => {
      if (e.key !== "Enter" && e.key !== " " && e.key !== "ArrowDown") return;
      e.preventDefault();
      open();
    },
  });
}
