/**
 * The dashboard's log download: the container's whole log as text, streamed from its host's
 * json-file files (the same read as `berth logs`), never built in the browser:
 *
 *   GET /api/containers/logs?id=C&team=T[&timestamps=1][&stream=stdout|stderr]
 *
 * `team` stands in for the team header (a link cannot set headers). A removed container's kept
 * logs download the same way until the retention runs out.
 */
import type { IncomingMessage, ServerResponse } from "node:http";
import { InvalidArgument, readFrames, Unauthenticated, type OutputStream } from "@berth/core";
import type { Socket } from "socket.io";
import { AUTH_REQUIRED_MESSAGE, authenticate } from "../auth/index.js";
import { actorWithPolicy, TEAM_HEADER } from "../policy/index.js";
import { requestOrigin } from "../audit/index.js";
import { asBerthError, HTTP_STATUS as STATUS, sendJson } from "../errors.js";
import type { Services } from "../services.js";
import { findContainer } from "../containers/resolve.js";
import { LogRead } from "../containers/log-read.js";
import { findRemoved } from "./removed.js";

const ROUTE = "/api/containers/logs";

export function logsDownloadHandler(s: Services, agentFor: (hostId: string) => Socket | undefined): (req: IncomingMessage, res: ServerResponse, pathname: string) => boolean {
  return (req, res, pathname) => {
    if (pathname !== ROUTE) return false;
    void (async () => {
      let read: LogRead | undefined;
      try {
        if (req.method !== "GET" && req.method !== "HEAD") {
          res.setHeader("allow", "GET, HEAD");
          return sendJson(res, 405, { error: { kind: "InvalidArgument", message: `${ROUTE} takes GET` } });
        }
        const url = new URL(req.url ?? "/", "http://berth");
        const ref = url.searchParams.get("id") ?? "";
        if (!ref) throw new InvalidArgument("name the container: ?id=CONTAINER");
        const only = url.searchParams.get("stream");
        if (only !== null && only !== "stdout" && only !== "stderr") throw new InvalidArgument(`stream must be stdout or stderr, not "${only}"`);
        const user = await authenticate(s.db, req.headers);
        if (!user) throw new Unauthenticated(AUTH_REQUIRED_MESSAGE);
        const team = url.searchParams.get("team");
        const headers = team ? { ...req.headers, [TEAM_HEADER]: team } : req.headers;
        const actor = await actorWithPolicy(s, user, headers, "container.logs", { target: ref, origin: requestOrigin(req), path: ROUTE });
        const row = await findContainer(s.db, actor.team.id, ref);
        const removed = row ? undefined : await findRemoved(s.redis, actor.team.id, ref);
        if (!row && !removed) throw Object.assign(new Error(`No such container: ${ref}`), { kind: "NotFound" });
        const id = row?.id ?? removed!.id;
        const name = row?.name ?? removed!.name;
        const timestamps = url.searchParams.get("timestamps") === "1";
        read = new LogRead(s, id, row ?? { hostId: removed!.hostId, options: "{}" }, { containerId: id, follow: false, timestamps }, agentFor);
        await read.open();
        res.writeHead(200, {
          "content-type": "text/plain; charset=utf-8",
          "content-disposition": `attachment; filename="${name.replace(/[^\w.-]/g, "_")}${only ? `-${only}` : ""}.log"`,
          "cache-control": "no-store",
          "x-content-type-options": "nosniff",
        });
        if (req.method === "HEAD") return void res.end();
        let closed = false;
        res.once("close", () => (closed = true));
        for (;;) {
          const { data, done } = await read.next();
          const parts: Uint8Array[] = [];
          readFrames(data, (stream: OutputStream, payload) => {
            if (!only || stream === only) parts.push(payload);
          });
          for (const p of parts) {
            if (closed) return;
            // The client's pace sets the reading's: wait for the socket to drain.
            if (!res.write(p)) await new Promise<void>((resolve) => res.once("drain", resolve).once("close", resolve));
          }
          if (done || closed) break;
        }
        res.end();
      } catch (err) {
        const berth = asBerthError(err);
        if (!berth) s.log.error({ err, path: pathname }, "logs download failed");
        if (res.headersSent) return void res.destroy();
        sendJson(res, berth ? (STATUS[berth.kind] ?? 500) : 500, { error: { kind: berth?.kind ?? "Internal", message: berth?.message ?? "internal error" } });
      } finally {
        read?.close();
      }
    })();
    return true;
  };
}
