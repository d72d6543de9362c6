/** A request recall refuses: what was asked for does not exist, is malformed, or lies outside the workspace. */
export class RecallError extends Error {
  constructor(
    readonly kind: "NotFound" | "InvalidParams" | "PathOutsideWorkspace",
    message: string,
  ) {
    super(message);
  }
}
