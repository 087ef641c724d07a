"use client";
import { useState, type ReactNode } from "react";
import { Dialog as D } from "radix-ui";
import { X } from "lucide-react";
import { Button, IconButton } from "./Button";
import { ErrorBox } from "./ErrorBox";

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

export interface ConfirmDialogProps {
  open: boolean;
  onOpenChange: (open: boolean) => void;
  title: string;
  description: ReactNode;
  confirmLabel: string;
  danger?: boolean;
  /** Closes the dialog when it resolves; a rejection is shown in the dialog. */
  onConfirm: () => Promise<unknown>;
}

export function ConfirmDialog({ open, onOpenChange, title, description, confirmLabel, danger, onConfirm }: ConfirmDialogProps) {
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>(null);
  const change = (o: boolean) => {
    if (!o) setError(null);
    onOpenChange(o);
  };
  const confirm = async () => {
    setBusy(true);
    setError(null);
    try {
      await onConfirm();
      change(false);
    } catch (err) {
      setError(err);
    } finally {
      setBusy(false);
    }
  };
  return (
    <Dialog open={open} onOpenChange={change} title={title} description={description} data-testid="confirm-dialog">
      {error != null && <ErrorBox error={error} />}
      <div className="dialog-actions">
        <Button onClick={() => change(false)}>Cancel</Button>
        <Button variant={danger ? "danger" : "primary"} busy={busy} onClick={() => void confirm()} data-testid="confirm-submit">
          {confirmLabel}
        </Button>
      </div>
    </Dialog>
  );
}
