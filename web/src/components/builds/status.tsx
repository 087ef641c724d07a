import { Badge, type Tone } from "../ui";
import type { BuildStatus } from "../../server/routers/_app";

const TONE: Record<BuildStatus, Tone> = { queued: "info", running: "warn", succeeded: "ok", failed: "bad", cancelled: "neutral", unknown: "neutral" };
const LABEL: Record<BuildStatus, string> = { queued: "queued", running: "running", succeeded: "succeeded", failed: "failed", cancelled: "cancelled", unknown: "expired" };

export function BuildStatusBadge({ status }: { status: BuildStatus }) {
  return (
    <Badge tone={TONE[status]} data-testid="build-status">
      {LABEL[status]}
    </Badge>
  );
}
