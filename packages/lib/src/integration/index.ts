export * from "./integration-result.js";
