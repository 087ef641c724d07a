#!/usr/bin/env node
// Copies the screenshots the browser tests saved (.test-results/screenshots, after `npm test`) to
// docs/screenshots, which README's dashboard tour shows: the tour then shows the pages as they are.
//   node scripts/readme-screenshots.mjs
import fs from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const from = path.join(root, ".test-results/screenshots");
const to = path.join(root, "docs/screenshots");

/** README's image → the test's screenshot of that page. */
const TOUR = {
  "overview.png": "pages-overview-member.png",
  "overview-dark.png": "pages-overview-member-dark.png",
  "container.png": "pages-container-member.png",
  "logs-search.png": "logs-search.png",
  "stats.png": "stats-container.png",
  "terminal-shared.png": "terminal-watcher.png",
  "build-failed.png": "pages-build-failed-member.png",
  "stack.png": "stacks-detail.png",
  "team-settings.png": "admin-settings-owner.png",
  "dashboard-setup.png": "dashboard-setup.png",
  "project.png": "project-detail.png",
  "pipeline.png": "pipeline-member.png",
  "project-new.png": "project-new.png",
};

const missing = Object.values(TOUR).filter((f) => !fs.existsSync(path.join(from, f)));
if (missing.length) {
  console.error(`readme-screenshots: ${missing.join(", ")} not in ${from}: run npm test first (the browser tests save them)`);
  process.exit(1);
}
for (const [readme, shot] of Object.entries(TOUR)) fs.copyFileSync(path.join(from, shot), path.join(to, readme));
console.log(`readme-screenshots: ${Object.keys(TOUR).length} images copied to ${path.relative(root, to)}`);
