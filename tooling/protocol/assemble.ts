/**
 * Assembles the one OpenRPC document from `packages/lib/protocol/base.json` and
 * the layer fragments in `packages/lib/protocol/methods/*.json`. Pure: takes
 * file contents, returns the document or a list of `file: path: message` errors.
 */
import { ERROR_CODES } from "../../packages/lib/src/errors.ts";

export interface ContentDescriptor {
  name: string;
  required?: boolean;
  description?: string;
  schema: Record<string, unknown>;
}

export interface MethodObject {
  name: string;
  summary?: string;
  description?: string;
  paramStructure?: string;
  params: ContentDescriptor[];
  result?: ContentDescriptor;
  errors?: { code: number; message: string }[];
  "x-notification"?: boolean;
  [k: string]: unknown;
}

export interface Fragment {
  methods: MethodObject[];
  schemas: Record<string, Record<string, unknown>>;
}

export interface ErrorDoc {
  code: number;
  name: string;
  meaning: string;
}

export interface Assembled {
  document: Record<string, unknown>;
  methods: MethodObject[];
  schemas: Record<string, Record<string, unknown>>;
}

const REF_PREFIX = "#/components/schemas/";

/** Parses the `| code | name | meaning |` table of ERRORS.md. */
export function parseErrorsMd(markdown: string): ErrorDoc[] {
  const rows: ErrorDoc[] = [];
  for (const line of markdown.split("\n")) {
    const m = /^\|\s*(-\d+)\s*\|\s*(\w+)\s*\|\s*(.*?)\s*\|\s*$/.exec(line);
    if (m) rows.push({ code: Number(m[1]), name: m[2], meaning: m[3] });
  }
  return rows;
}

function collectRefs(node: unknown, out: Set<string>): void {
  if (Array.isArray(node)) for (const n of node) collectRefs(n, out);
  else if (node && typeof node === "object") {
    for (const [k, v] of Object.entries(node)) {
      if (k === "$ref" && typeof v === "string") out.add(v);
      else collectRefs(v, out);
    }
  }
}

function checkFragment(file: string, frag: unknown, errors: string[]): frag is Fragment {
  if (!frag || typeof frag !== "object") {
    errors.push(`${file}: the fragment must be an object {methods, schemas}`);
    return false;
  }
  const f = frag as Partial<Fragment>;
  if (!Array.isArray(f.methods)) errors.push(`${file}: methods: must be an array`);
  if (!f.schemas || typeof f.schemas !== "object" || Array.isArray(f.schemas))
    errors.push(`${file}: schemas: must be an object`);
  return Array.isArray(f.methods) && !!f.schemas && typeof f.schemas === "object";
}

function checkMethod(file: string, i: number, m: MethodObject, errors: string[]): void {
  const at = `${file}: methods[${i}]${m?.name ? ` (${m.name})` : ""}`;
  if (typeof m?.name !== "string" || !/^[a-z][\w.]*(\/[a-z][\w.]*)*$/i.test(m.name)) {
    errors.push(`${at}: name: must look like "layer/verb"`);
    return;
  }
  if (m.paramStructure !== undefined && m.paramStructure !== "by-name")
    errors.push(`${at}: paramStructure: must be "by-name"`);
  if (!Array.isArray(m.params)) errors.push(`${at}: params: must be an array of content descriptors`);
  else
    m.params.forEach((p, j) => {
      if (typeof p?.name !== "string" || !p.name) errors.push(`${at}: params[${j}].name: required`);
      if (p?.name === "_meta") errors.push(`${at}: params[${j}]: _meta is reserved for identity and trace`);
      if (!p?.schema || typeof p.schema !== "object") errors.push(`${at}: params[${j}].schema: required`);
    });
  const note = m["x-notification"] === true;
  if (note && m.result) errors.push(`${at}: a notification ("x-notification": true) has no result`);
  if (!note && (!m.result || typeof m.result.schema !== "object"))
    errors.push(`${at}: result: required (or mark the method "x-notification": true)`);
}

function sortKeys<T>(obj: Record<string, T>): Record<string, T> {
  return Object.fromEntries(
    Object.keys(obj)
      .sort()
      .map((k) => [k, obj[k]]),
  );
}

/** Builds the OpenRPC document. `fragments` maps a display file name to parsed JSON. */
export function assemble(
  base: unknown,
  fragments: [file: string, json: unknown][],
  errorsMd: string,
  version: string,
): { ok: true; value: Assembled } | { ok: false; errors: string[] } {
  const errors: string[] = [];
  const all: [string, unknown][] = [["protocol/base.json", base], ...fragments];
  const methods: MethodObject[] = [];
  const schemas: Record<string, Record<string, unknown>> = {};
  const methodOwner = new Map<string, string>();
  const schemaOwner = new Map<string, string>();
  for (const [file, frag] of all) {
    if (!checkFragment(file, frag, errors)) continue;
    frag.methods.forEach((m, i) => {
      checkMethod(file, i, m, errors);
      if (typeof m?.name !== "string") return;
      const prev = methodOwner.get(m.name);
      if (prev) errors.push(`${file}: methods[${i}]: ${m.name} is already defined in ${prev}`);
      else {
        methodOwner.set(m.name, file);
        methods.push({ ...m, paramStructure: "by-name" });
      }
    });
    for (const [name, schema] of Object.entries(frag.schemas)) {
      const prev = schemaOwner.get(name);
      if (!/^[A-Z][A-Za-z0-9]*$/.test(name)) errors.push(`${file}: schemas.${name}: names are PascalCase`);
      if (prev) errors.push(`${file}: schemas.${name}: already defined in ${prev}`);
      else {
        schemaOwner.set(name, file);
        schemas[name] = schema;
      }
    }
  }
  for (const [file, frag] of all) {
    const refs = new Set<string>();
    collectRefs(frag, refs);
    for (const ref of [...refs].sort()) {
      if (!ref.startsWith(REF_PREFIX)) errors.push(`${file}: $ref ${ref}: use "${REF_PREFIX}<Name>"`);
      else if (!schemas[ref.slice(REF_PREFIX.length)])
        errors.push(`${file}: $ref ${ref}: no schema of that name in base.json or any fragment`);
    }
  }
  const docs = parseErrorsMd(errorsMd);
  const docByName = new Map(docs.map((d) => [d.name, d]));
  const catalog: ErrorDoc[] = Object.entries(ERROR_CODES).map(([name, code]) => ({
    code,
    name,
    meaning: docByName.get(name)?.meaning ?? "",
  }));
  if (errors.length) return { ok: false, errors };
  methods.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  const document = {
    openrpc: "1.3.2",
    info: {
      title: "ostk",
      version,
      description:
        "Every JSON-RPC 2.0 method and notification that crosses an ostk socket. Wire: one JSON object per line (UTF-8, '\\n'-terminated) over unix sockets under .ostk/ (ostk.sock, recall.sock); frames above the size cap get FrameTooLarge and the connection stays open. Every request and notification may carry params._meta (RequestMeta): the caller identity and the W3C traceparent. Generated by tooling/protocol/generate.ts from packages/lib/protocol/base.json and methods/*.json; do not edit by hand.",
      license: { name: "MIT" },
    },
    methods,
    components: {
      schemas: sortKeys(schemas),
      errors: Object.fromEntries(
        catalog.map((e) => [e.name, { code: e.code, message: e.meaning || e.name }]),
      ),
    },
    "x-error-codes": catalog,
    "x-meta": {
      param: "_meta",
      schema: { $ref: `${REF_PREFIX}RequestMeta` },
    },
  };
  return { ok: true, value: { document, methods, schemas: sortKeys(schemas) } };
}
