/**
 * The CLI's TLS trust when bin/berth.js's first line started Node without NODE_EXTRA_CA_CERTS.
 * Node 20 reads and parses that file at every start (about 40 ms for a full CA bundle), though
 * most commands never open a TLS connection; the launcher line hands its value over as
 * BERTH_CLI_EXTRA_CA_CERTS instead, and every TLS connection of the CLI passes what this returns:
 * Node's bundled roots plus that file's certificates, as Node itself would have trusted.
 */
let trust: Promise<{ ca?: string[] }> | undefined;

/** Options to add to a request to `url`: empty for plain http, or when Node kept the variable itself. */
export function tlsOptions(url: string | URL): Promise<{ ca?: string[] }> {
  const file = process.env.BERTH_CLI_EXTRA_CA_CERTS;
  if (!file || new URL(url).protocol !== "https:") return Promise.resolve({});
  trust ??= (async () => {
    const [tls, fs] = await Promise.all([import("node:tls"), import("node:fs")]);
    try {
      return { ca: [...tls.rootCertificates, fs.readFileSync(file, "utf8")] };
    } catch (e) {
      // Node's own words when it cannot load the file, and then it goes on without it.
      process.emitWarning(`Ignoring extra certs from \`${file}\`, load failed: ${(e as Error).message}`);
      return {};
    }
  })();
  return trust;
}
