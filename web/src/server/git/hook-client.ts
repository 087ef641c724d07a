/**
 * Run by each Berth repository's post-receive hook (`node hook-client.js`, the refs on stdin):
 * posts them to the web process that started this push, with the push's one-time secret, and
 * prints what comes back line by line — git hands each line to the pusher as `remote: …`.
 * Standalone on purpose: it imports nothing of Berth, so it starts fast.
 */
import http from "node:http";

const url = process.env.BERTH_HOOK_URL;
const secret = process.env.BERTH_HOOK_SECRET;

function main(): void {
  if (!url || !secret) return;
  const chunks: Buffer[] = [];
  process.stdin.on("data", (c: Buffer) => chunks.push(c));
  process.stdin.on("end", () => {
    const body = Buffer.concat(chunks);
    const req = http.request(url, { method: "POST", headers: { "content-type": "text/plain", "content-length": body.length, "x-berth-hook-secret": secret } }, (res) => {
      res.pipe(process.stdout);
      res.on("end", () => {
        if (res.statusCode !== 200) process.exitCode = 1;
      });
    });
    req.on("error", (err) => {
      process.stdout.write(`berth: could not hand this push to Berth (${err.message}); the commits are stored, nothing was deployed\n`);
      process.exitCode = 1;
    });
    req.end(body);
  });
}

main();
