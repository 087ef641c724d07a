/**
 * The shapes of web's tRPC API as the CLI sees them, inferred from the server's router:
 * one source of truth, so a server change that breaks the CLI stops it compiling.
 */
import type { TRPCClient } from "@trpc/client";
import type { inferRouterInputs, inferRouterOutputs } from "@trpc/server";
import type { AppRouter } from "@berth/web/router";

export type { LogEntry } from "@berth/core";
export type Api = TRPCClient<AppRouter>;

type Out = inferRouterOutputs<AppRouter>;
type In = inferRouterInputs<AppRouter>;

export type ImageSummary = Out["image"]["list"][number];
export type ContainerSummary = Out["container"]["list"][number];
export type ContainerState = ContainerSummary["state"];
export type RunInput = In["container"]["run"];
export type LogsResult = Out["container"]["logs"];
export type RepoSummary = Out["repo"]["list"][number];
export type RepoDetail = Out["repo"]["byName"];
export type StackPsRow = Out["stack"]["ps"][number];
