import { defineConfig } from "vitest/config";

// One root run; each package keeps its own vitest.config.ts (a "project").
export default defineConfig({
  test: {
    projects: ["packages/*", "apps/*", "tests/*"],
    reporters: process.env.CI ? ["default"] : ["default"],
  },
});
