import {
  AlreadyExists,
  publishEvent,
  InvalidArgument,
  JOB,
  Unavailable,
  hostQueueName,
  newContainerId,
  randomName,
  type ContainerEvent,
  type ContainerOptions,
  type ContainerRunJob,
} from "@berth/core";
import { Prisma } from "@berth/core/db";
import type { Services } from "../services.js";
import { pickHost } from "../hosts.js";
import { resolveImage } from "@berth/core";
import { parseSignal } from "./lifecycle.js";
import { checkRunNetwork } from "../networks/jobs.js";
import { prepareMounts } from "../volumes/service.js";
import { hostPowerRefusal, type Actor } from "../policy/index.js";
import { checkContainerQuota } from "../teams/quota.js";
import { teamHostPaths } from "../teams/host-paths.js";

export const CONTAINER_NAME = /^[a-zA-Z0-9][a-zA-Z0-9_.-]*$/;

export interface RunRequest {
  image: string;
  cmd?: string[];
  name?: string;
  autoRemove?: boolean;
  options?: ContainerOptions;
  /** false: `create` (state created, nothing runs until `start`). */
  start?: boolean;
  /** `run -d`: no client will attach, so a -i/-t container starts without waiting for one. */
  detach?: boolean;
}

/** Validates, writes the desired state, tells the world, enqueues the job for the host. */
export async function runContainer(s: Services, actor: Actor, req: RunRequest): Promise<{ id: string; name: string }> {
  const { db, redis, queues, log } = s;
  const teamId = actor.team.id;
  if (req.name !== undefined && !CONTAINER_NAME.test(req.name)) {
    throw new InvalidArgument(`invalid container name "${req.name}": only [a-zA-Z0-9][a-zA-Z0-9_.-]* are allowed`);
  }
  // Before anything is looked up or made: host paths, extra capabilities, the host's network.
  const hasBinds = !actor.siteAdmin && (req.options?.mounts ?? []).some((m) => m.type === "bind");
  const grants = hasBinds ? await teamHostPaths(db, teamId) : [];
  const refusal = hostPowerRefusal(actor, req.options, grants);
  if (refusal) throw refusal;
  await checkContainerQuota(db, teamId, req.options);
  // Independent reads at once (the image's error still comes first: pickHost only reads).
  const [image, host, freeName] = await Promise.all([resolveImage(db, { teamId, siteAdmin: actor.siteAdmin }, req.image), pickHost(db), req.name === undefined ? freeRandomName(s, teamId) : undefined]);
  if (!host) throw new Unavailable("no worker host is online: start one with npm start");
  await checkRunNetwork(s, host.id, teamId, req.options);

  const id = newContainerId();
  const name = req.name ?? freeName!;
  if (req.autoRemove && req.options?.restart) throw new InvalidArgument("Conflicting options: --restart and --rm");
  if (req.options?.stopSignal !== undefined) parseSignal(req.options.stopSignal);
  const holder = req.name !== undefined ? await db.container.findUnique({ where: { teamId_name: { teamId, name } }, select: { id: true } }) : null;
  if (holder) throw new AlreadyExists(nameInUse(name, holder.id));
  // Volumes, binds and the image's VOLUMEs are settled on the host first: a bad mount leaves no container.
  req = { ...req, options: await prepareMounts(s, teamId, host.id, id, image.id, req.options, actor.siteAdmin ? undefined : grants) };
  try {
    await db.container.create({
      data: {
        id,
        name,
        teamId,
        imageId: image.id,
        imageRef: image.ref,
        hostId: host.id,
        cmd: JSON.stringify(req.cmd ?? []),
        state: "created",
        autoRemove: req.autoRemove ?? false,
        options: JSON.stringify(req.options ?? {}),
      },
    });
  } catch (err) {
    if (err instanceof Prisma.PrismaClientKnownRequestError && err.code === "P2002") {
      const other = await db.container.findUnique({ where: { teamId_name: { teamId, name } }, select: { id: true } });
      throw new AlreadyExists(nameInUse(name, other?.id ?? ""), { cause: err });
    }
    throw err;
  }

  const event: ContainerEvent = { type: "container.create", id, hostId: host.id, teamId, time: new Date().toISOString() };
  await publishEvent(redis, { ...event, attributes: { name, image: image.ref } }, (err) => log.warn({ err: err.message, id }, "could not publish container.create"));

  if (req.start === false) {
    log.info({ id, container: name, image: image.ref, host: host.id }, "container created (not started)");
    return { id, name };
  }
  const payload: ContainerRunJob = { containerId: id, waitForAttach: !req.detach };
  try {
    await queues.get(hostQueueName(host.id)).add(JOB.containerRun, payload, { removeOnComplete: 1000, removeOnFail: 1000 });
  } catch (err) {
    const message = `could not enqueue the container on host ${host.name}: ${(err as Error).message}`;
    await db.container
      .update({ where: { id }, data: { state: "exited", error: message, finishedAt: new Date() } })
      .catch(() => {});
    throw new Unavailable(message, { cause: err });
  }
  log.info({ id, container: name, image: image.ref, host: host.id }, "container created");
  return { id, name };
}

/** Docker's message for a taken name. */
export function nameInUse(name: string, holderId: string): string {
  return `Conflict. The container name "/${name}" is already in use by container "${holderId}". You have to remove (or rename) that container to be able to reuse that name.`;
}

async function freeRandomName(s: Services, teamId: string): Promise<string> {
  for (let i = 0; i < 10; i++) {
    const name = randomName();
    if (!(await s.db.container.findUnique({ where: { teamId_name: { teamId, name } }, select: { id: true } }))) return name;
  }
  return `${randomName()}_${Date.now().toString(36)}`;
}
