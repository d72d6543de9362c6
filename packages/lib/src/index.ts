export * from "./errors.js";
export * from "./journal/index.js";
