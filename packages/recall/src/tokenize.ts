/**
 * Code-aware tokenisation shared by indexing and querying.
 *
 * FTS5 tokenizers cannot be written in JavaScript, so identifier splitting is
 * done here and stored in an extra FTS column: `parseHTTPHeader` is indexed
 * whole (in the text column) and as `parse http header` (in the terms column).
 */

const IDENT_RE = /[A-Za-z_$][A-Za-z0-9_$]*|[0-9]+/g;

/** Split one identifier into lower-case parts: `parseHTTPHeader` → `parse http header`, `max_len` → `max len`. */
export function splitIdentifier(ident: string): string[] {
  const parts: string[] = [];
  for (const piece of ident.split(/[_$\-.]+/)) {
    if (!piece) continue;
    const sub = piece.match(/[A-Z]+(?=[A-Z][a-z]|[0-9]|$)|[A-Z]?[a-z]+|[A-Z]+|[0-9]+/g);
    if (!sub) continue;
    for (const s of sub) parts.push(s.toLowerCase());
  }
  return parts;
}

/** Identifier-like words of a text, in order. */
export function words(text: string): string[] {
  return text.match(IDENT_RE) ?? [];
}

/**
 * The extra "terms" column for a chunk: the split parts of every compound
 * identifier (identifiers that are a single word are already in the text column).
 */
export function splitTerms(text: string): string {
  const out: string[] = [];
  for (const w of words(text)) {
    const parts = splitIdentifier(w);
    if (parts.length > 1) out.push(...parts);
  }
  return out.join(" ");
}

export const STOPWORDS = new Set(
  (
    "a an and are as at be been being but by can could did do does doing for from had has have having " +
    "he her here hers him his how i if in into is it its itself just me more most my no nor not of off on once " +
    "only or other our out over own same she should so some such than that the their them then there these they " +
    "this those through to too under until up very was we were what when where which while who whom why will " +
    "with would you your yours also via use used using uses e g eg ie etc returns return value values given " +
    "whether will"
  ).split(" "),
);

/** Crude English stemmer, the same on both sides (used by the reranker and the embedder; FTS5 uses porter). */
export function stem(w: string): string {
  if (w.length <= 3) return w;
  if (w.endsWith("ies") && w.length > 4) return `${w.slice(0, -3)}y`;
  if (w.endsWith("ing") && w.length > 5) return w.slice(0, -3);
  if (w.endsWith("ed") && w.length > 4) return w.slice(0, -2);
  if (w.endsWith("es") && w.length > 4 && /(ss|x|ch|sh)es$/.test(w)) return w.slice(0, -2);
  if (w.endsWith("s") && !w.endsWith("ss") && w.length > 3) return w.slice(0, -1);
  return w;
}

/** Normalised terms (split, lower-cased, stemmed, stopwords dropped) of any text. */
export function normTerms(text: string): string[] {
  const out: string[] = [];
  for (const w of words(text)) {
    for (const p of splitIdentifier(w)) {
      if (p.length < 2 || STOPWORDS.has(p)) continue;
      out.push(stem(p));
    }
  }
  return out;
}

export interface ParsedQuery {
  raw: string;
  /** Whole words of the query, lower-cased (identifiers kept whole). */
  whole: string[];
  /** Split parts of compound identifiers in the query. */
  parts: string[];
  /** Normalised terms used by the reranker. */
  terms: string[];
  /** The identifier when the query looks like one (`parseHeader`, `max_len`, `Foo.bar`, `foo()`). */
  identifier?: string;
}

export function parseQuery(q: string): ParsedQuery {
  const ws = words(q);
  const whole: string[] = [];
  const parts: string[] = [];
  for (const w of ws) {
    const lw = w.toLowerCase();
    if (!STOPWORDS.has(lw) && !whole.includes(lw)) whole.push(lw);
    const sp = splitIdentifier(w);
    if (sp.length > 1) for (const p of sp) if (!STOPWORDS.has(p) && !parts.includes(p)) parts.push(p);
  }
  const trimmed = q.trim().replace(/\(\)$/, "");
  let identifier: string | undefined;
  if (/^[A-Za-z_$][\w$]*(\.[A-Za-z_$][\w$]*)*$/.test(trimmed)) {
    const last = trimmed.split(".").pop() ?? trimmed;
    if (
      trimmed.includes(".") ||
      splitIdentifier(last).length > 1 ||
      /[_$]/.test(last) ||
      q.trim().endsWith("()")
    )
      identifier = last;
  }
  return { raw: q, whole, parts, terms: [...new Set(normTerms(q))], identifier };
}

/** Term frequencies of a text's normalised terms (the first 20,000 characters), as embedders weight them. */
export function termFrequencies(text: string): Map<string, number> {
  const tf = new Map<string, number>();
  for (const t of normTerms(text.length > 20_000 ? text.slice(0, 20_000) : text))
    tf.set(t, (tf.get(t) ?? 0) + 1);
  return tf;
}
