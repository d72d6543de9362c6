export * from "./canonical.js";
export * from "./entry.js";
export * from "./hash.js";
export * from "./sign.js";
