export {
  type AuditTailHandle,
  type AuditTailItem,
  type AuditTailOptions,
  auditTail,
  auditTailBatches,
  auditTailEach,
} from "./audit-tail.js";
export type { TailCursor } from "./tail-cursor.js";
