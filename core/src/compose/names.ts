/**
 * Names Compose v2 gives to what it makes for a project, shared by the CLI (which builds) and
 * the server (which runs).
 */

/** `<project>-<service>`: the image built for a service that has `build:` and no `image:`. */
export const builtImageName = (project: string, service: string) => `${project}-${service}`;

/**
 * The label Compose v2 puts the service's image id in: a rebuilt image changes the service's
 * configuration, so `up` recreates its containers, and only those.
 */
export const IMAGE_LABEL = "com.docker.compose.image";
