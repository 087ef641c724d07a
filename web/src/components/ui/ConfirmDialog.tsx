"use client";
import { useState, type ReactNode } from "react";
import { Button } from "./Button";
import { Dialog } from "./LazyDialog";
import { ErrorBox } from "./ErrorBox";

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
