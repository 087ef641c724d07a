import type { Job } from "bullmq";
import { NetworkJob, type JobOutcome, type Logger } from "@berth/core";
import type { NetworkService } from "../network/index.js";
import { outcome } from "./outcome.js";

/** `network`: every network operation on this host, within the team the job names (create/ls/inspect/rm/prune/connect/disconnect/aliases, run's check, inspect's settings). */
export default function network(net: NetworkService, log: Logger) {
  return async (job: Job): Promise<JobOutcome<unknown>> => {
    const p = NetworkJob.parse(job.data);
    return outcome(log, `network ${p.op}`, async (): Promise<unknown> => {
      switch (p.op) {
        case "create":
          return net.create(p.name, { ...(p.subnet ? { subnet: p.subnet } : {}), ...(p.gateway ? { gateway: p.gateway } : {}), labels: p.labels }, p.teamId);
        case "list":
          return net.list(p.teamId);
        case "inspect":
          return net.inspect(p.names, p.teamId);
        case "remove":
          return net.remove(p.names, p.teamId);
        case "prune":
          return net.prune(p.teamId);
        case "connect":
          return net.connect(p.network, p.containerId, p.aliases, p.teamId);
        case "aliases":
          return net.setAliases(p.network, p.set, p.teamId);
        case "disconnect":
          return net.disconnect(p.network, p.containerId, p.teamId);
        case "check":
          return net.check(p.network, p.publish, p.teamId);
        case "settings":
          return net.settings(p.containerId);
      }
    });
  };
}
