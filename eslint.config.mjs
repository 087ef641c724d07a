import js from "@eslint/js";
import tseslint from "typescript-eslint";

export default tseslint.config(
  { ignores: ["**/dist/**", "**/build/**", "**/.next/**", "**/node_modules/**", "**/next-env.d.ts"] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    // Plain Node scripts (scripts/, bench/): Node's globals, listed here rather than pulled from a transitive package.
    files: ["**/*.mjs", "**/*.js", "**/*.cjs"],
    languageOptions: {
      globals: Object.fromEntries(
        ["process", "console", "Buffer", "setTimeout", "clearTimeout", "setInterval", "clearInterval", "setImmediate", "queueMicrotask", "structuredClone", "fetch", "URL", "URLSearchParams", "AbortController", "AbortSignal", "performance", "TextEncoder", "TextDecoder", "Headers", "Request", "Response", "WebSocket", "__dirname", "require", "module"].map((g) => [g, "readonly"]),
      ),
    },
  },
  // CommonJS hooks (node --require) are CommonJS on purpose.
  { files: ["**/*.cjs"], rules: { "@typescript-eslint/no-require-imports": "off" } },
  // Benchmarks hand functions to page.evaluate: those run in Chromium.
  { files: ["bench/**"], languageOptions: { globals: { document: "readonly", window: "readonly", MutationObserver: "readonly" } } },
  {
    rules: {
      "@typescript-eslint/no-unused-vars": ["error", { argsIgnorePattern: "^_", varsIgnorePattern: "^_" }],
      "no-empty": ["error", { allowEmptyCatch: true }],
    },
  },
);
