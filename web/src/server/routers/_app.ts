import { router } from "../trpc.js";
import { authRouter } from "./auth.js";
import { imageRouter } from "./image.js";
import { containerRouter } from "./container.js";

export const appRouter = router({
  auth: authRouter,
  image: imageRouter,
  container: containerRouter,
});

export type AppRouter = typeof appRouter;
export type { ContainerSummary } from "../containers/summary.js";
export type { ImageSummary } from "./image.js";
