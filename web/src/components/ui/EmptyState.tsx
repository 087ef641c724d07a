import type { ReactNode } from "react";
import { CodeBlock } from "./CodeBlock";

/** What an empty list says: what this is, and how to get the first one (a command, a button). */
export function EmptyState({ icon, title, children, command, action, ...rest }: { icon?: ReactNode; title: string; children?: ReactNode; command?: string; action?: ReactNode; "data-testid"?: string }) {
  return (
    <div className="empty" data-testid={rest["data-testid"] ?? "empty-state"}>
      {icon && <div className="empty-icon" aria-hidden="true">{icon}</div>}
      <p className="empty-title">{title}</p>
      {children && <div className="empty-text">{children}</div>}
      {command && <CodeBlock code={command} inline />}
      {action && <div className="empty-action">{action}</div>}
    </div>
  );
}
