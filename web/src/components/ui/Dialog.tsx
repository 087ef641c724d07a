"use client";
/** Radix's dialog; pages use the lazily loaded one in LazyDialog.tsx (exported by ./index). */
import type { ReactNode } from "react";
import { Dialog as D } from "radix-ui";
import { X } from "lucide-react";
import { IconButton } from "./Button";

export interface DialogProps {
  open: boolean;
  onOpenChange: (open: boolean) => void;
  title: string;
  description?: ReactNode;
  children?: ReactNode;
  /** Wider, for forms with several columns or long output. */
  wide?: boolean;
  "data-testid"?: string;
}

export function Dialog({ open, onOpenChange, title, description, children, wide, ...rest }: DialogProps) {
  return (
    <D.Root open={open} onOpenChange={onOpenChange}>
      <D.Portal>
        <D.Overlay className="dialog-overlay" />
        <D.Content className={wide ? "dialog dialog-wide" : "dialog"} data-testid={rest["data-testid"]} aria-describedby={description ? undefined : undefined}>
          <div className="dialog-head">
            <D.Title className="dialog-title">{title}</D.Title>
            <D.Close asChild>
              <IconButton label="Close" icon={<X size={16} />} />
            </D.Close>
          </div>
          {description ? <D.Description className="dialog-desc">{description}</D.Description> : <D.Description className="sr-only">{title}</D.Description>}
          {children}
        </D.Content>
      </D.Portal>
    </D.Root>
  );
}
