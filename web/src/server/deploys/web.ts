import { InvalidArgument } from "@berth/core";
import type { ComposeProject } from "@berth/core/compose";

/**
 * The label naming the service that takes a deploy's traffic, and on which port: the preview
 * pipeline puts it on the web service it chose (berth.yaml `web:`), so a release made from a
 * preview's project deploys the same service on the same port.
 */
export const WEB_PORT_LABEL = "berth.web.port";

export interface WebService {
  service: string;
  port: number;
}

const portOf = (text: string | undefined) => (text ? Number(/^(\d{1,5})/.exec(text)?.[1]) || undefined : undefined);

/**
 * The web service of a project: the one labelled `berth.web.port`, else a service called `web`,
 * else the only service with a port; its port from the label, else its first published or
 * exposed port. Throws saying how to name it when that is ambiguous or there is none.
 */
export function webOf(project: ComposeProject, where: string): WebService {
  const services = Object.values(project.services);
  const labelled = services.filter((s) => s.labels[WEB_PORT_LABEL] !== undefined);
  if (labelled.length > 1) throw new InvalidArgument(`${where}: services ${labelled.map((s) => s.name).join(", ")} all carry ${WEB_PORT_LABEL}: only the one that takes the traffic may`);
  const withPort = services.filter((s) => s.ports.length || s.expose.length);
  const svc = labelled[0] ?? project.services.web ?? (withPort.length === 1 ? withPort[0] : undefined);
  if (!svc) throw new InvalidArgument(`${where}: cannot tell which service takes the traffic (services: ${services.map((s) => s.name).join(", ") || "none"}): label it ${WEB_PORT_LABEL}: "<port>", or call it web`);
  const port = portOf(svc.labels[WEB_PORT_LABEL]) ?? svc.ports[0]?.target ?? portOf(svc.expose[0]);
  if (!port || port > 65535) throw new InvalidArgument(`${where}: service "${svc.name}" has no port to serve on: label it ${WEB_PORT_LABEL}: "<port>", or expose one`);
  return { service: svc.name, port };
}
