import { randomBytes } from "node:crypto";

/** 64 hex chars, like Docker's container ids. */
export const newContainerId = () => randomBytes(32).toString("hex");
export const shortId = (id: string) => id.replace(/^sha256:/, "").slice(0, 12);

const ADJ = ["brave", "calm", "eager", "fond", "gentle", "happy", "jolly", "keen", "lucid", "merry", "nifty", "proud", "quirky", "sharp", "tender", "vivid", "witty", "zen"];
const NOUN = ["turing", "hopper", "lovelace", "ritchie", "thompson", "knuth", "dijkstra", "liskov", "torvalds", "wozniak", "hamilton", "babbage", "curie", "noether", "shannon", "kay"];
export function randomName(): string {
  const pick = (a: string[]) => a[randomBytes(1)[0]! % a.length]!;
  return `${pick(ADJ)}_${pick(NOUN)}_${randomBytes(2).toString("hex")}`;
}
