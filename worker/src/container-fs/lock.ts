/**
 * One holder at a time per container for "its filesystem is mounted": a stopped container's
 * overlay mounted for cp, and a start mounting it for the container. Both in this worker
 * process, so a map of promise chains is the whole lock. Without it the two overlays would share
 * one upper and work dir, which overlayfs leaves undefined.
 */
const chains = new Map<string, Promise<void>>();

export async function lockContainerFs(id: string): Promise<() => void> {
  const previous = chains.get(id) ?? Promise.resolve();
  let release!: () => void;
  const mine = new Promise<void>((resolve) => (release = resolve));
  const chain = previous.then(() => mine);
  chains.set(id, chain);
  await previous;
  return () => {
    release();
    if (chains.get(id) === chain) chains.delete(id);
  };
}
