/**
 * Proving a copy: the manifest the registry answers for the reference just pushed must be the
 * one pushed (the same digest), and it must name the image's config, whose digest is the image
 * id a release records. A promotion to another registry only counts once this holds.
 */
import { FailedPrecondition, InvalidArgument, Unavailable } from "@berth/core";
import { TransientError, type RegistryClient } from "./client.js";

export interface PushedImage {
  /** The manifest digest pushed. */
  digest: string;
  /** The image's id: its config's digest. */
  imageId: string;
}

/** Reads `repo:reference` back; returns the digest read when it is `expected`'s, else throws FailedPrecondition naming both. */
export async function verifyPushed(client: RegistryClient, repo: string, reference: string, expected: PushedImage): Promise<string> {
  const where = `${client.o.registry}/${repo}:${reference}`;
  let got: { bytes: Buffer; digest: string };
  try {
    got = await client.getManifest(repo, reference);
  } catch (e) {
    if (e instanceof TransientError) throw new Unavailable(`reading ${where} back to verify the copy failed: ${e.message}`);
    throw e;
  }
  if (got.digest !== expected.digest) {
    throw new FailedPrecondition(`copy of image ${expected.imageId} not verified: ${where} reads back as manifest ${got.digest}, but ${expected.digest} was pushed`);
  }
  let config: string | undefined;
  try {
    config = (JSON.parse(got.bytes.toString("utf8")) as { config?: { digest?: string } }).config?.digest;
  } catch {
    throw new InvalidArgument(`${where}: the manifest read back is not JSON`);
  }
  if (config !== expected.imageId) {
    throw new FailedPrecondition(`copy of image ${expected.imageId} not verified: the manifest of ${where} (${got.digest}) names config ${config ?? "(none)"}`);
  }
  return got.digest;
}
