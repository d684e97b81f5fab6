import { defineConfig } from "vite";

// The mocked backend for the Playwright flows, as one script to inject before the app loads.
export default defineConfig({
  build: {
    outDir: "tests/flows/.build",
    emptyOutDir: true,
    lib: { entry: "tests/flows/mock-backend.ts", formats: ["iife"], name: "FerryMock", fileName: () => "mock-backend.js" },
  },
});
