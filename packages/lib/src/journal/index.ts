export * from "./canonical.js";
export * from "./entry.js";
export * from "./gpg.js";
export * from "./hash.js";
export * from "./sign.js";
export * from "./verify.js";
