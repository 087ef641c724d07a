import { expect, it } from "vitest";
import { keyedQueue } from "./keyed-queue.js";

it("runs one key's work in order, other keys beside it, and goes on after a failure", async () => {
  const q = keyedQueue();
  const log: string[] = [];
  let release!: () => void;
  const gate = new Promise<void>((r) => (release = r));
  const a1 = q("a", async () => {
    await gate;
    log.push("a1");
    throw new Error("a1 failed");
  });
  const a2 = q("a", async () => void log.push("a2"));
  const b1 = q("b", async () => void log.push("b1"));
  await b1;
  expect(log).toEqual(["b1"]);
  release();
  await expect(a1).rejects.toThrow("a1 failed");
  await a2;
  expect(log).toEqual(["b1", "a1", "a2"]);
});
