import type { inferRouterOutputs } from "@trpc/server";
import type { AppRouter } from "../../server/routers/_app";

/** The pipeline's data as the API answers it (RELEASES.md's contract, typed from the routers themselves). */
type Out = inferRouterOutputs<AppRouter>;
export type EnvironmentRow = Out["environments"]["list"][number];
export type ReleaseSummary = Out["releases"]["list"][number];
export type ReleaseDetail = Out["releases"]["show"];
export type ReleaseDiff = Out["releases"]["diff"];
export type ConfigRow = Out["environments"]["config"][number];
