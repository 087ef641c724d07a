"use client";
import { CircleAlert } from "lucide-react";
import { Button } from "./Button";
import { errorMessage } from "../../lib/query";

/** What went wrong, in the server's words (they say what and where), with a retry when there is one. */
export function ErrorBox({ error, title, onRetry }: { error: unknown; title?: string; onRetry?: () => void }) {
  return (
    <div className="errorbox" role="alert" data-testid="error-box">
      <CircleAlert size={18} aria-hidden="true" className="errorbox-icon" />
      <div className="errorbox-body">
        {title && <p className="errorbox-title">{title}</p>}
        <p className="errorbox-text">{errorMessage(error)}</p>
      </div>
      {onRetry && (
        <Button size="sm" onClick={onRetry}>
          Retry
        </Button>
      )}
    </div>
  );
}
