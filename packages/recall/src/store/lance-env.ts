// LanceDB's native logger prints warnings to stderr; a library must not print. Imported before @lancedb/lancedb.
process.env.LANCEDB_LOG ??= "error";
process.env.LANCE_LOG ??= "error";
