import { stackContainers as read, type StackContainer } from "@berth/core";
import type { Services } from "../services.js";

export type { StackContainer };

/** The team's containers labelled with this stack's name, by service then replica number. */
export const stackContainers = (s: Services, teamId: string, stack: string): Promise<StackContainer[]> => read(s.db, teamId, stack);
