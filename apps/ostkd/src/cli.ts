#!/usr/bin/env node
import { main } from "./main.js";

// Every layer is closed and the log flushed when main resolves; exit at once rather than wait for
// native threads and idle timers (LanceDB, watchers) to wind down on their own.
main(process.argv.slice(2)).then(
  (code) => process.exit(code ?? 0),
  (err: Error) => {
    process.stderr.write(`ostkd: ${err.message}\n`);
    process.exit(1);
  },
);
