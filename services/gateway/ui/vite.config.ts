/// <reference types="vitest/config" />
import react from "@vitejs/plugin-react";
import { defineConfig } from "vite";
import { compression } from "vite-plugin-compression2";

// `npm run dev` serves the UI on 5173 and sends the API to a running gateway (`make run`).
const gateway = process.env.SPYGLASS_GATEWAY_URL ?? "http://127.0.0.1:6006";

export default defineConfig({
  // Beside each file of the build worth compressing, its gzip and brotli forms (`x.js.gz`,
  // `x.js.br`): the gateway sends whichever the browser accepts, compressed once, here.
  plugins: [
    react(),
    compression({
      algorithms: ["gzip", "brotliCompress"],
      include: /\.(js|css|html|svg|json)$/,
      threshold: 1024,
    }),
  ],
  build: { outDir: "dist", sourcemap: true, chunkSizeWarningLimit: 1024 },
  server: {
    proxy: {
      "/graphql": gateway,
      "/v1": gateway,
      "/auth": gateway,
      "/oauth2": gateway,
      "/healthz": gateway,
      "/readyz": gateway,
    },
  },
  test: {
    environment: "jsdom",
    globals: true,
    setupFiles: ["src/test/setup.ts"],
    include: ["src/**/*.test.{ts,tsx}"],
  },
});
