import { z } from "zod";

/**
 * A project's name: part of its preview's host name (`<branch>--<project>--<team>.<domain>`), so
 * a DNS label's letters, with no `--` of its own (that separates the name's parts).
 */
export const PROJECT_NAME = /^[a-z0-9](?:[a-z0-9]|-(?!-))*$/;
export const PROJECT_NAME_MAX = 40;

export const ProjectName = z
  .string()
  .trim()
  .min(1, "a project name is required")
  .max(PROJECT_NAME_MAX)
  .regex(PROJECT_NAME, "a project name is lowercase letters, digits and single '-', starting with a letter or digit (it is part of the preview's host name)")
  .refine((n) => !n.endsWith("-"), "a project name does not end with '-'");

export const BranchName = z.string().trim().min(1).max(255);
