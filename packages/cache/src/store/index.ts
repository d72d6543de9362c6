export * from "./cache-store";
export * from "./redis-store";
export * from "./sqlite-store";
