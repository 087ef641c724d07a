import type { ImageConfig } from "@berth/core";

export interface HealthConfig {
  Test: string[];
  Interval?: number;
  Timeout?: number;
  StartPeriod?: number;
  Retries?: number;
}

/** The container config of an image as Docker writes it (a superset of core's ImageConfig.config). */
export interface ContainerConfig {
  User?: string;
  Env?: string[];
  Entrypoint?: string[] | null;
  Cmd?: string[] | null;
  WorkingDir?: string;
  Labels?: Record<string, string>;
  ExposedPorts?: Record<string, object>;
  Volumes?: Record<string, object>;
  Shell?: string[];
  StopSignal?: string;
  Healthcheck?: HealthConfig;
  OnBuild?: string[];
}

/** An image config being built: everything but rootfs (which follows from the layers). */
export interface StageConfig {
  created?: string;
  author?: string;
  architecture: string;
  os: string;
  config: ContainerConfig;
  history: NonNullable<ImageConfig["history"]>;
}

export const getEnv = (c: ContainerConfig, key: string): string | undefined => {
  const e = c.Env?.find((x) => x.startsWith(`${key}=`));
  return e === undefined ? undefined : e.slice(key.length + 1);
};

export function setEnv(c: ContainerConfig, key: string, value: string): void {
  const env = (c.Env ?? []).filter((x) => !x.startsWith(`${key}=`));
  env.push(`${key}=${value}`);
  c.Env = env;
}
