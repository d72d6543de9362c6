export * from "./config";
export * from "./ledger/ledger";
export * from "./ledger/summarize";
export * from "./response-cache/cache-key";
export * from "./response-cache/response-cache";
export * from "./server/start-cache-proxy";
export * from "./store/index";
