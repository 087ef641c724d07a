/**
 * Every compose key Berth knows, and what it does with it: supported, warned (read and
 * ignored, with a warning naming the line, because ignoring it changes nothing a dev stack
 * relies on) or refused (an error naming the line, because running without it would not be
 * what the file asks for). A key Compose itself does not know is a schema error.
 */
export type Support = { level: "supported"; note?: string } | { level: "warned"; why: string } | { level: "refused"; why: string };

const ok = (note?: string): Support => ({ level: "supported", ...(note ? { note } : {}) });
const warn = (why: string): Support => ({ level: "warned", why });
const refuse = (why: string): Support => ({ level: "refused", why });

const HOST = "it gives a container host-level power, which only the site admin's own containers may have";
const CPU_ONLY = "Berth enforces only `cpus` (deploy.resources.limits.cpus); use that";

export const TOP_LEVEL: Record<string, Support> = {
  version: warn("it is obsolete and ignored, as in Compose v2"),
  name: ok(),
  include: ok(),
  services: ok(),
  networks: ok(),
  volumes: ok(),
  secrets: refuse("secrets are not supported yet; pass values with environment or env_file"),
  configs: refuse("configs are not supported yet; mount a file with a bind or copy it in the image"),
};

export const SERVICE: Record<string, Support> = {
  image: ok(),
  build: ok(),
  command: ok(),
  entrypoint: ok(),
  environment: ok(),
  env_file: ok(),
  ports: ok(),
  expose: ok(),
  volumes: ok("named volumes, tmpfs, and binds of paths the site admin allowed for the team"),
  tmpfs: ok(),
  networks: ok(),
  depends_on: ok(),
  healthcheck: ok(),
  restart: ok(),
  user: ok(),
  working_dir: ok(),
  labels: ok(),
  init: ok(),
  stop_signal: ok(),
  stop_grace_period: ok(),
  deploy: ok("resources.limits and replicas"),
  profiles: ok(),
  extends: ok(),
  hostname: ok(),
  cap_add: ok("within Docker's default capability set unless you are the site admin"),
  cap_drop: ok(),
  read_only: ok(),
  tty: ok(),
  stdin_open: ok(),
  pids_limit: ok(),
  mem_limit: ok(),
  memswap_limit: ok(),
  cpus: ok(),
  scale: ok("as deploy.replicas"),
  pull_policy: ok("always, missing, never, build"),
  container_name: warn("Berth names a service's containers <stack>-<service>-<n> within the team; the service name resolves on the stack's network"),
  links: warn("service names already resolve on the stack's network; the link aliases are ignored"),
  logging: warn("Berth keeps every container's log its own way (berth logs); the logging driver is ignored"),
  platform: warn("Berth runs images for this host's platform"),
  domainname: warn("the container's domain name is not set"),
  mem_reservation: warn("a soft limit is not enforced; mem_limit is"),
  mem_swappiness: warn("swappiness is not set"),
  oom_score_adj: warn("the OOM score is not adjusted"),
  shm_size: warn("/dev/shm keeps Berth's default size"),
  blkio_config: warn("block I/O weights and limits are not enforced"),
  cpu_count: warn(CPU_ONLY),
  cpu_percent: warn(CPU_ONLY),
  cpu_period: warn(CPU_ONLY),
  cpu_quota: warn(CPU_ONLY),
  cpu_rt_period: warn(CPU_ONLY),
  cpu_rt_runtime: warn(CPU_ONLY),
  cpu_shares: warn(CPU_ONLY),
  cpuset: warn(CPU_ONLY),
  privileged: refuse(HOST),
  network_mode: refuse("only the stack's own networks are supported (network_mode: none is accepted)"),
  pid: refuse(HOST),
  ipc: refuse(HOST),
  devices: refuse(HOST),
  device_cgroup_rules: refuse(HOST),
  cgroup_parent: refuse(HOST),
  userns_mode: refuse(HOST),
  security_opt: refuse(HOST),
  sysctls: refuse("sysctls are not supported yet"),
  ulimits: refuse("ulimits are not supported yet"),
  group_add: refuse("supplementary groups are not supported yet"),
  volumes_from: refuse("volumes_from is not supported; name a shared volume in both services"),
  external_links: refuse("containers outside the stack are not reachable by link; put them on a shared network"),
  extra_hosts: ok("HOST:IP lines in /etc/hosts (host-gateway: the host)"),
  dns: refuse("custom DNS servers are not supported yet"),
  dns_opt: refuse("DNS options are not supported yet"),
  dns_search: refuse("DNS search domains are not supported yet"),
  mac_address: refuse("MAC addresses are assigned by Berth"),
  runtime: refuse("Berth has one runtime"),
  isolation: refuse("Berth has one isolation mode"),
  storage_opt: refuse("storage options are not supported"),
  credential_spec: refuse("credential specs are Windows-only"),
  oom_kill_disable: refuse("the OOM killer cannot be disabled: a runaway container would take the host"),
  secrets: refuse("secrets are not supported yet; pass values with environment or env_file"),
  configs: refuse("configs are not supported yet; mount a file with a bind or copy it in the image"),
  // Keys newer than the compose JSON schema package Berth validates with:
  develop: warn("watch/sync is not supported; the service runs as built"),
  annotations: warn("annotations are ignored"),
  attach: warn("every service's log is shown"),
  gpus: refuse("GPUs are not supported"),
  post_start: refuse("lifecycle hooks are not supported yet"),
  pre_stop: refuse("lifecycle hooks are not supported yet"),
  label_file: refuse("label_file is not supported yet; write the labels under labels"),
  use_api_socket: refuse("a container never gets the engine's socket"),
  models: refuse("models are not supported"),
  provider: refuse("providers are not supported"),
};

export const DEPLOY: Record<string, Support> = {
  replicas: ok(),
  resources: ok("limits: cpus, memory, pids"),
  mode: warn("Berth runs replicated services only"),
  labels: warn("service-level labels are ignored; use labels on the service"),
  restart_policy: warn("use the service's restart key"),
  update_config: warn("updates recreate the changed service"),
  rollback_config: warn("ignored"),
  placement: warn("Berth places a stack's containers on one host"),
  endpoint_mode: warn("ignored"),
};

export const RESOURCES: Record<string, Support> = {
  limits: ok(),
  reservations: warn("reservations are not enforced; limits are"),
};

export const LIMITS: Record<string, Support> = {
  cpus: ok(),
  memory: ok(),
  pids: ok(),
};

export const BUILD: Record<string, Support> = {
  context: ok(),
  dockerfile: ok(),
  args: ok(),
  target: ok(),
  labels: ok(),
  cache_from: warn("Berth's build cache is local; cache_from is ignored"),
  network: ok("none or default; host only for the site admin"),
  shm_size: warn("ignored"),
  extra_hosts: refuse("extra /etc/hosts entries are not supported in builds yet"),
  isolation: refuse("Berth has one isolation mode"),
};

export const NETWORK: Record<string, Support> = {
  name: ok(),
  external: ok(),
  labels: ok(),
  driver: ok("bridge only"),
  internal: refuse("internal networks are not supported yet"),
  attachable: warn("every stack network is attachable by the team"),
  driver_opts: refuse("driver options are not supported"),
  ipam: refuse("custom address management is not supported yet"),
  enable_ipv6: refuse("IPv6 networks are not supported yet"),
};

export const VOLUME: Record<string, Support> = {
  name: ok(),
  external: ok(),
  labels: ok(),
  driver: ok("local only"),
  driver_opts: refuse("volume driver options are not supported"),
};
