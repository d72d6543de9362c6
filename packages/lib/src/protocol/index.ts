export * from "./generated/methods.js";
export type * from "./generated/types.js";
export * from "./validate.js";
