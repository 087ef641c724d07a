import { Queue } from "bullmq";
import { hostQueueName, JOB, newContainerId, logStreamKey, decodeLogEntry } from "@berth/core";
import { db } from "@berth/core/db";
import { connectRedis } from "@berth/core/redis";
const d = db(); const host = await d.host.findFirst(); const tag = await d.imageTag.findUnique({ where: { ref: "busybox:latest" } });
const id = newContainerId();
await d.container.create({ data: { id, name: "smoke" + Date.now(), imageId: tag.imageId, imageRef: "busybox:latest", hostId: host.id, cmd: JSON.stringify(process.argv.slice(2)) } });
const r = connectRedis(process.env.REDIS_URL);
const q = new Queue(hostQueueName(host.id), { connection: r });
const t0 = Date.now();
await q.add(JOB.containerRun, { containerId: id });
let last = "0";
for (;;) {
  const res = await r.xread("BLOCK", 5000, "STREAMS", logStreamKey(id), last);
  if (!res) { console.log("timeout"); break; }
  let done = false;
  for (const [, entries] of res) for (const [eid, f] of entries) { last = eid; const e = decodeLogEntry(f); console.log(JSON.stringify(e)); if (e.stream === "exit") done = true; }
  if (done) break;
}
const c = await d.container.findUnique({ where: { id } });
console.log("ms", Date.now() - t0, c.state, c.exitCode, c.error);
process.exit(0);
