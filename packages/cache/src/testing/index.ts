export { lastUserText } from "../wire/text";
export * from "./claude-code-session";
export * from "./fake-upstream";
export * from "./prompt-cache-simulator";
