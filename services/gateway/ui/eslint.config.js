// ESLint for the UI (`npm run lint`; `spyglass ui check` and `make check` run it with `tsc`).
//
// - typescript-eslint's recommended rules with type information (floating promises, unsafe
//   `any`, misused promises): the project service reads tsconfig.json once for all files, so on
//   this small project they cost a few seconds, not minutes. The purely stylistic type-aware sets
//   are left out; tsc already checks types, and the formatter's job is not the linter's.
// - eslint-plugin-react-hooks' recommended set: the rules of hooks, exhaustive dependencies, and
//   the React Compiler's checks (no setState during render, no impure calls in render, ...).
//
// typescript-eslint reads types through TypeScript's JavaScript API, which TypeScript 7 (the
// native compiler that `tsc` is here) no longer has: package.json installs TypeScript 6 under
// the name `typescript` for this linter and TypeScript 7 as `@typescript/native`, whose `tsc`
// checks and builds.
import js from "@eslint/js";
import { defineConfig } from "eslint/config";
import reactHooks from "eslint-plugin-react-hooks";
import globals from "globals";
import tseslint from "typescript-eslint";

export default defineConfig(
  // What the build writes: the bundle and GraphQL codegen's output.
  { ignores: ["dist/", "src/gql/", "node_modules/"] },
  js.configs.recommended,
  tseslint.configs.recommendedTypeChecked,
  reactHooks.configs.flat["recommended-latest"],
  {
    languageOptions: {
      ecmaVersion: 2022,
      globals: { ...globals.browser },
      parserOptions: {
        projectService: true,
        tsconfigRootDir: import.meta.dirname,
      },
    },
    linterOptions: { reportUnusedDisableDirectives: "error" },
    rules: {
      // A hook's missing dependency is a stale-value bug: fail, as the other rules do.
      "react-hooks/exhaustive-deps": "error",
      // `_name` says "unused on purpose" (a destructured field left out, a callback's argument).
      "@typescript-eslint/no-unused-vars": [
        "error",
        { argsIgnorePattern: "^_", varsIgnorePattern: "^_", ignoreRestSiblings: true },
      ],
    },
  },
  {
    // Configuration files run in Node, not in the browser.
    files: ["*.config.{js,ts}", "codegen.ts"],
    languageOptions: { globals: { ...globals.node } },
  },
  {
    // This file is the one JavaScript file, outside tsconfig.json: no types to check it with.
    files: ["**/*.js"],
    extends: [tseslint.configs.disableTypeChecked],
  },
);
