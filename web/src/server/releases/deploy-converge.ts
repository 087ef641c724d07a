/**
 * How a release's services are replaced (a deploy and a rollback alike). The web service: all
 * its replicas start beside the old ones and the edge's route moves to them in one switch (the
 * caller's `web` hook). Every other service without a named volume (stateless): start-first too,
 * one replica at a time; the new one must be ready (health-service.ts) before its service's
 * names move to it on the stack's networks, and the old one then drains and stops, so a peer
 * calling it by name (web calling api) never fails. A service with a named volume: stop-first,
 * as Compose does, because two replicas would write one volume at once.
 */
import type { ComposeProject, ComposeService } from "@berth/core/compose";
import type { Services } from "../services.js";
import type { Actor } from "../policy/index.js";
import { stackUpStartFirst } from "../stacks/service.js";
import type { StackEvent } from "@berth/core";
import type { StartFirst, StartFirstAll } from "../stacks/ready.js";
import { describeReadiness, untilServiceReady } from "./health-service.js";

/** Whether a service keeps state in a named volume: then never two replicas of it at once. */
export const hasNamedVolume = (svc: ComposeService): boolean => svc.volumes.some((m) => m.type === "volume" && m.source !== undefined);

/** The services replaced start-first besides the web service: every one without a named volume. */
export function statelessServices(project: ComposeProject, web: string): string[] {
  return Object.values(project.services)
    .filter((svc) => svc.name !== web && !hasNamedVolume(svc))
    .map((svc) => svc.name)
    .sort();
}

export interface ReleaseUp {
  home: string;
  project: ComposeProject;
  web: { service: string; ready: StartFirstAll };
  say: (line: string) => void;
  /** Told when a stateless service's readiness is being waited for, so a failure names the step. */
  at?: (step: "health" | "start") => void;
  onEvent?: (e: StackEvent) => void;
}

/** Converges the release's stack (see the top of this file). */
export function releaseUp(s: Services, actor: Actor, u: ReleaseUp) {
  const startFirst: Record<string, StartFirst> = {};
  for (const name of statelessServices(u.project, u.web.service)) {
    const svc = u.project.services[name]!;
    startFirst[name] = async (keep) => {
      u.at?.("health");
      u.say(`waiting for ${keep.row.name} to be ready (${describeReadiness(svc)})`);
      await untilServiceReady(s, u.home, svc, { id: keep.row.id, name: keep.row.name });
      u.say(`${keep.row.name} is ready: ${name} moves to it`);
      u.at?.("start");
    };
  }
  return stackUpStartFirst(s, actor, u.project, { startFirst, startFirstAll: { [u.web.service]: u.web.ready }, namesOnceReady: true, ...(u.onEvent ? { onEvent: u.onEvent } : {}) });
}
