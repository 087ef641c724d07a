/**
 * The edge's TLS port: HTTPS with HTTP/2, and HTTP/1.1 for clients that offer only it (ALPN),
 * certificates chosen per connection by SNI from files (certs.ts). HTTP/1.1 connections carry
 * WebSocket upgrades (a browser opens WebSockets over HTTP/1.1 unless the server offers
 * RFC 8441, which this one does not), so both protocols reach the same handlers as the plain port.
 */
import http2 from "node:http2";
import type { IncomingMessage, ServerResponse } from "node:http";
import type { CertStore } from "./certs.js";
import { createEdgeHandlers, type EdgeDeps } from "./server.js";

export function createEdgeTlsServer(d: EdgeDeps, certs: CertStore): http2.Http2SecureServer {
  const h = createEdgeHandlers(d, { tls: true });
  const server = http2.createSecureServer({
    allowHTTP1: true,
    SNICallback: certs.sniCallback,
    minVersion: "TLSv1.2",
    // Many streams per connection is HTTP/2's point; the bound keeps one client from taking the edge.
    settings: { maxConcurrentStreams: 256 },
  });
  // The HTTP/2 compatibility request and response offer what the handlers use of
  // IncomingMessage and ServerResponse (headers, url, method, socket, writeHead, end, pipe).
  server.on("request", (req, res) => h.request(req as unknown as IncomingMessage, res as unknown as ServerResponse));
  server.on("upgrade", h.upgrade);
  server.on("sessionError", (err: Error) => d.log.debug({ err: err.message }, "edge: HTTP/2 session error"));
  server.on("tlsClientError", (err: Error) => d.log.debug({ err: err.message }, "edge: TLS client error"));
  return server;
}
