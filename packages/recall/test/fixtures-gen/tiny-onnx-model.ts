import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";

/**
 * Writes a tiny sentence-embedding model folder the way exported models are laid
 * out (config.json, tokenizer.json, tokenizer_config.json, onnx/model.onnx), with
 * no network and no ONNX tooling: the graph is serialised by hand as ONNX
 * protobuf. The graph is `input_ids -> Gather(embedding table) -> last_hidden_state`;
 * the feature-extraction pipeline mean-pools it with the attention mask, as it does
 * for real sentence-transformer exports.
 */
export interface TinyModel {
  dir: string;
  vocab: string[];
  dim: number;
}

export const TINY_VOCAB = [
  "[PAD]",
  "[UNK]",
  "parse",
  "http",
  "header",
  "cache",
  "evict",
  "least",
  "recently",
  "used",
  "retry",
  "backoff",
  "server",
  "listen",
  "address",
  "port",
  "deployment",
  "binary",
];

/** `weightsAtTop` puts model.onnx next to config.json instead of under onnx/ (both layouts are common). */
export function writeTinyOnnxModel(
  dir: string,
  dim = 16,
  vocab: string[] = TINY_VOCAB,
  weightsAtTop = false,
): TinyModel {
  const weightsDir = weightsAtTop ? dir : join(dir, "onnx");
  mkdirSync(weightsDir, { recursive: true });
  const table = new Float32Array(vocab.length * dim);
  let seed = 0x9e3779b9;
  const rand = () => {
    seed ^= seed << 13;
    seed ^= seed >>> 17;
    seed ^= seed << 5;
    return (seed >>> 0) / 0x100000000 - 0.5;
  };
  // Row 0 ([PAD]) stays zero; every other token gets its own random direction.
  for (let i = dim; i < table.length; i++) table[i] = rand();
  writeFileSync(join(weightsDir, "model.onnx"), embedderGraph(table, vocab.length, dim));
  writeConfigAndTokenizer(dir, vocab, { architectures: ["BertModel"], hidden_size: dim });
  return { dir, vocab, dim };
}

/**
 * Writes a tiny cross-encoder folder (a sequence-classification export): the relevance logit of a
 * (query, passage) pair is the sum of its tokens' weights (`input_ids -> Gather([vocab, labels]) ->
 * ReduceSum over the sequence -> logits [batch, labels]`). With `labels = 2` the weight goes to the
 * second ("relevant") column and its negation to the first. Words not in `weights` weigh 0; the
 * tokenizer adds [CLS] query [SEP] passage [SEP] as BERT's does.
 */
export function writeTinyCrossEncoder(
  dir: string,
  weights: Record<string, number>,
  labels: 1 | 2 = 1,
): string[] {
  const vocab = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", ...Object.keys(weights)];
  mkdirSync(join(dir, "onnx"), { recursive: true });
  const table = new Float32Array(vocab.length * labels);
  vocab.forEach((w, i) => {
    const x = weights[w] ?? 0;
    if (labels === 1) table[i] = x;
    else {
      table[i * 2] = -x / 2;
      table[i * 2 + 1] = x / 2;
    }
  });
  writeFileSync(join(dir, "onnx", "model.onnx"), crossEncoderGraph(table, vocab.length, labels));
  writeConfigAndTokenizer(
    dir,
    vocab,
    {
      architectures: ["BertForSequenceClassification"],
      hidden_size: 8,
      id2label: Object.fromEntries(Array.from({ length: labels }, (_, i) => [String(i), `LABEL_${i}`])),
    },
    { type: "BertProcessing", sep: ["[SEP]", 3], cls: ["[CLS]", 2] },
  );
  return vocab;
}

function writeConfigAndTokenizer(
  dir: string,
  vocab: string[],
  config: Record<string, unknown>,
  postProcessor: Record<string, unknown> | null = null,
): void {
  const special = vocab.filter((t) => /^\[[A-Z]+\]$/.test(t));
  writeFileSync(
    join(dir, "config.json"),
    JSON.stringify({ model_type: "bert", ...config, vocab_size: vocab.length }),
  );
  writeFileSync(
    join(dir, "tokenizer_config.json"),
    JSON.stringify({
      tokenizer_class: "PreTrainedTokenizer",
      pad_token: "[PAD]",
      unk_token: "[UNK]",
      model_max_length: 512,
    }),
  );
  writeFileSync(
    join(dir, "tokenizer.json"),
    JSON.stringify({
      version: "1.0",
      truncation: null,
      padding: null,
      added_tokens: special.map((content) => ({
        id: vocab.indexOf(content),
        content,
        single_word: false,
        lstrip: false,
        rstrip: false,
        normalized: false,
        special: true,
      })),
      normalizer: { type: "Lowercase" },
      pre_tokenizer: { type: "Whitespace" },
      post_processor: postProcessor,
      decoder: null,
      model: {
        type: "WordLevel",
        vocab: Object.fromEntries(vocab.map((t, i) => [t, i])),
        unk_token: "[UNK]",
      },
    }),
  );
}

// --- minimal protobuf writer (wire types 0 = varint, 2 = length-delimited, 5 = 32-bit) ---

type Bytes = Uint8Array;

function varint(n: number | bigint): number[] {
  let v = BigInt(n);
  if (v < 0n) v += 1n << 64n;
  const out: number[] = [];
  do {
    let b = Number(v & 0x7fn);
    v >>= 7n;
    if (v > 0n) b |= 0x80;
    out.push(b);
  } while (v > 0n);
  return out;
}

function cat(parts: (Bytes | number[])[]): Bytes {
  const arrays = parts.map((p) => (p instanceof Uint8Array ? p : Uint8Array.from(p)));
  const out = new Uint8Array(arrays.reduce((s, a) => s + a.length, 0));
  let o = 0;
  for (const a of arrays) {
    out.set(a, o);
    o += a.length;
  }
  return out;
}

const int = (field: number, n: number | bigint): Bytes => cat([varint(field << 3), varint(n)]);
const bytes = (field: number, b: Bytes): Bytes => cat([varint((field << 3) | 2), varint(b.length), b]);
const str = (field: number, s: string): Bytes => bytes(field, new TextEncoder().encode(s));
const msg = (field: number, ...parts: Bytes[]): Bytes => bytes(field, cat(parts));

// ONNX TensorProto.DataType
const FLOAT = 1;
const INT64 = 7;

/** ValueInfoProto{name, type: TypeProto{tensor_type{elem_type, shape{dim...}}}} */
function valueInfo(field: number, name: string, elemType: number, dims: (string | number)[]): Bytes {
  const dimMsgs = dims.map((d) => msg(1, typeof d === "string" ? str(2, d) : int(1, d)));
  return msg(field, str(1, name), msg(2, msg(1, int(1, elemType), msg(2, ...dimMsgs))));
}

/** NodeProto{input..., output, name, op_type, attribute...} */
function node(op: string, inputs: string[], output: string, ...attributes: Bytes[]): Bytes {
  return msg(1, ...inputs.map((i) => str(1, i)), str(2, output), str(3, output), str(4, op), ...attributes);
}

/** TensorProto{dims, data_type, name, raw_data (little-endian)} */
function initializer(name: string, dims: number[], type: number, raw: Uint8Array): Bytes {
  return msg(5, ...dims.map((d) => int(1, d)), int(2, type), str(8, name), bytes(9, raw));
}

/** ModelProto{ir_version: 8, producer_name, graph, opset_import{domain:"", version: 13}} */
function model(name: string, parts: Bytes[]): Bytes {
  const graph = cat([...parts, str(2, name)]);
  return cat([int(1, 8), str(2, "ostk-recall-test"), bytes(7, graph), msg(8, str(1, ""), int(2, 13))]);
}

const axis0 = msg(5, str(1, "axis"), int(3, 0), int(20, 2));

function embedderGraph(table: Float32Array, rows: number, dim: number): Bytes {
  return model("tiny-embedder", [
    node("Gather", ["embeddings", "input_ids"], "last_hidden_state", axis0),
    initializer("embeddings", [rows, dim], FLOAT, new Uint8Array(table.buffer.slice(0))),
    valueInfo(11, "input_ids", INT64, ["batch", "sequence"]),
    valueInfo(12, "last_hidden_state", FLOAT, ["batch", "sequence", dim]),
  ]);
}

function crossEncoderGraph(table: Float32Array, rows: number, labels: number): Bytes {
  return model("tiny-cross-encoder", [
    node("Gather", ["weights", "input_ids"], "token_logits", axis0),
    // ReduceSum(token_logits, axes=[1], keepdims=0): [batch, sequence, labels] -> [batch, labels]
    node("ReduceSum", ["token_logits", "axes"], "logits", msg(5, str(1, "keepdims"), int(3, 0), int(20, 2))),
    initializer("weights", [rows, labels], FLOAT, new Uint8Array(table.buffer.slice(0))),
    initializer("axes", [1], INT64, new Uint8Array(new BigInt64Array([1n]).buffer)),
    valueInfo(11, "input_ids", INT64, ["batch", "sequence"]),
    valueInfo(12, "logits", FLOAT, ["batch", labels]),
  ]);
}
