import type { ReactNode } from "react";

export type Tone = "neutral" | "ok" | "warn" | "bad" | "info";

export function Badge({ tone = "neutral", children, title, ...rest }: { tone?: Tone; children: ReactNode; title?: string; "data-testid"?: string }) {
  return (
    <span className={`badge badge-${tone}`} title={title} {...rest}>
      {children}
    </span>
  );
}

/** A container's (or build's) state as colour and word: the word carries it, the colour helps. */
export function stateTone(state: string): Tone {
  switch (state) {
    case "running":
    case "succeeded":
    case "ok":
      return "ok";
    case "created":
    case "restarting":
    case "paused":
    case "frozen":
    case "queued":
    case "building":
      return "warn";
    case "dead":
    case "failed":
    case "error":
      return "bad";
    default:
      return "neutral";
  }
}

export function StatusDot({ state, label }: { state: string; label?: string }) {
  return (
    <span className={`status status-${stateTone(state)}`} data-state={state}>
      <span className="status-dot" aria-hidden="true" />
      {label ?? state}
    </span>
  );
}
