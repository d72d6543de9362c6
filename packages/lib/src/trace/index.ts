export * from "./carriers.js";
export * from "./trace-context.js";
