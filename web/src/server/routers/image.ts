import { router, protectedProcedure } from "../trpc.js";

export interface ImageSummary {
  /** The config digest, "sha256:…". */
  id: string;
  tags: string[];
  size: number;
  createdAt: string;
}

export const imageRouter = router({
  list: protectedProcedure.query(async ({ ctx }): Promise<ImageSummary[]> => {
    const images = await ctx.services.db.image.findMany({
      include: { tags: { select: { ref: true }, orderBy: { ref: "asc" } } },
      orderBy: { createdAt: "desc" },
    });
    return images.map((i) => ({ id: i.id, tags: i.tags.map((t) => t.ref), size: i.size, createdAt: i.createdAt.toISOString() }));
  }),
});
