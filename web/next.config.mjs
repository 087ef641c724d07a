// The custom server (server.ts) owns /api/trpc, /api/health and /socket.io.
/** @type {import("next").NextConfig} */
const nextConfig = {
  poweredByHeader: false,
  reactStrictMode: true,
  // `npm run dev -w @berth/web` listens on BERTH_HOST (0.0.0.0): let loopback pages use HMR.
  allowedDevOrigins: ["127.0.0.1", "localhost"],
};

export default nextConfig;
