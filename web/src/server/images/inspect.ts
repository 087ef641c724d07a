import { parseImageRef, type ImageConfig, type ImageInspectResult } from "@berth/core";

type StoredConfig = ImageConfig & {
  author?: string;
  comment?: string;
  container?: string;
  container_config?: Record<string, unknown>;
  docker_version?: string;
  variant?: string;
};

/** Docker's container config with every field present, as `docker image inspect` prints it. */
function fullRunConfig(c: ImageConfig["config"] | Record<string, unknown> | undefined): Record<string, unknown> {
  return {
    Hostname: "",
    Domainname: "",
    User: "",
    AttachStdin: false,
    AttachStdout: false,
    AttachStderr: false,
    Tty: false,
    OpenStdin: false,
    StdinOnce: false,
    Env: null,
    Cmd: null,
    Image: "",
    Volumes: null,
    WorkingDir: "",
    Entrypoint: null,
    OnBuild: null,
    Labels: null,
    ...(c ?? {}),
  };
}

/** `docker image inspect`'s JSON for one image. */
export function dockerInspect(r: ImageInspectResult, tags: string[]): Record<string, unknown> {
  const cfg = r.config as StoredConfig;
  const repos = [...new Set(tags.map((t) => parseImageRef(t).name))];
  const lastComment = cfg.history?.length ? cfg.history[cfg.history.length - 1]!.comment : undefined;
  return {
    Id: r.id,
    RepoTags: tags,
    RepoDigests: repos.map((name) => `${name}@${r.manifestDigest}`),
    Parent: "",
    Comment: cfg.comment ?? lastComment ?? "",
    Created: cfg.created ?? "0001-01-01T00:00:00Z",
    Container: cfg.container ?? "",
    ContainerConfig: fullRunConfig(cfg.container_config),
    DockerVersion: cfg.docker_version ?? "",
    Author: cfg.author ?? "",
    Config: fullRunConfig(cfg.config),
    Architecture: cfg.architecture,
    ...(cfg.variant ? { Variant: cfg.variant } : {}),
    Os: cfg.os,
    Size: r.size,
    VirtualSize: r.size,
    GraphDriver: { Data: null, Name: "overlayfs" },
    RootFS: { Type: "layers", Layers: cfg.rootfs?.diff_ids ?? [] },
    Metadata: { LastTagTime: "0001-01-01T00:00:00Z" },
    ManifestDigest: r.manifestDigest,
  };
}

export interface HistoryRow {
  /** The image id on the newest row, "<missing>" below it (as Docker prints for non-local parents). */
  id: string;
  created: string | null;
  createdBy: string;
  /** Compressed size of the layer the step made; 0 for steps that made none. */
  size: number;
  comment: string;
}

/** `docker history`: the config's history, newest first, each step with the layer it made. */
export function imageHistory(r: ImageInspectResult): HistoryRow[] {
  const cfg = r.config as StoredConfig;
  const layers = r.layerSizes;
  const history = cfg.history?.length ? cfg.history : layers.map(() => ({ created_by: "" }) as NonNullable<ImageConfig["history"]>[number]);
  let layer = 0;
  const rows = history.map((h) => ({
    id: "<missing>",
    created: h.created ?? null,
    createdBy: h.created_by ?? "",
    size: h.empty_layer ? 0 : (layers[layer++] ?? 0),
    comment: h.comment ?? "",
  }));
  rows.reverse();
  if (rows[0]) rows[0].id = r.id;
  return rows;
}
