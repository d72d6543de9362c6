export * from "./errors.js";
export * from "./journal/index.js";
// The journal module's hand-written types win over the generated ones of the same name (same shapes).
export type { ActorKind, JournalActor, JournalCheckpoint, JournalEntry } from "./journal/index.js";
export * from "./protocol/index.js";
