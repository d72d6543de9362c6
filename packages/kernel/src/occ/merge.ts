/** A changed region: lines [aStart, aEnd) of the base became lines [bStart, bEnd) of the current text. */
export interface Hunk {
  aStart: number;
  aEnd: number;
  bStart: number;
  bEnd: number;
}

export function splitLines(text: string): string[] {
  return text.split("\n");
}

/** Line diff (Myers O(ND) with common prefix/suffix trimmed). Falls back to one hunk past `maxD`. */
export function diffLines(a: string[], b: string[], maxD = 2000): Hunk[] {
  let pre = 0;
  while (pre < a.length && pre < b.length && a[pre] === b[pre]) pre++;
  let suf = 0;
  while (suf < a.length - pre && suf < b.length - pre && a[a.length - 1 - suf] === b[b.length - 1 - suf])
    suf++;
  const A = a.slice(pre, a.length - suf);
  const B = b.slice(pre, b.length - suf);
  if (A.length === 0 && B.length === 0) return [];
  const n = A.length;
  const m = B.length;
  const max = Math.min(n + m, maxD);
  const off = max + 1;
  const v = new Int32Array(2 * max + 3);
  const trace: Int32Array[] = [];
  let found = false;
  for (let d = 0; d <= max && !found; d++) {
    trace.push(v.slice());
    for (let k = -d; k <= d; k += 2) {
      let x = k === -d || (k !== d && v[off + k - 1] < v[off + k + 1]) ? v[off + k + 1] : v[off + k - 1] + 1;
      let y = x - k;
      while (x < n && y < m && A[x] === B[y]) {
        x++;
        y++;
      }
      v[off + k] = x;
      if (x >= n && y >= m) {
        found = true;
        break;
      }
    }
  }
  if (!found) return [{ aStart: pre, aEnd: a.length - suf, bStart: pre, bEnd: b.length - suf }];
  const hunks: Hunk[] = [];
  const ops = backtrackPath(trace, off, n, m).map(([op]) => op);
  let i = 0;
  let j = 0;
  let cur: Hunk | null = null;
  for (const op of ops) {
    if (op === "=") {
      if (cur) {
        hunks.push(cur);
        cur = null;
      }
      i++;
      j++;
    } else {
      if (!cur) cur = { aStart: pre + i, aEnd: pre + i, bStart: pre + j, bEnd: pre + j };
      if (op === "-") {
        i++;
        cur.aEnd = pre + i;
      } else {
        j++;
        cur.bEnd = pre + j;
      }
    }
  }
  if (cur) hunks.push(cur);
  return hunks;
}

function backtrackPath(trace: Int32Array[], off: number, n: number, m: number): ["=" | "-" | "+"][] {
  const out: ["=" | "-" | "+"][] = [];
  let x = n;
  let y = m;
  for (let d = trace.length - 1; d >= 0; d--) {
    const v = trace[d];
    const k = x - y;
    if (d === 0) {
      while (x > 0 && y > 0) {
        out.push(["="]);
        x--;
        y--;
      }
      break;
    }
    const down = k === -d || (k !== d && v[off + k - 1] < v[off + k + 1]);
    const prevK = down ? k + 1 : k - 1;
    const prevX = v[off + prevK];
    const prevY = prevX - prevK;
    while (x > prevX && y > prevY) {
      out.push(["="]);
      x--;
      y--;
    }
    out.push([down ? "+" : "-"]);
    x = prevX;
    y = prevY;
  }
  return out.reverse();
}

/** Line range [start, end) of the region `old_str` occupies at character `index` of `text`. */
export function lineRangeOf(text: string, index: number, length: number): [number, number] {
  let start = 0;
  for (let i = 0; i < index; i++) if (text.charCodeAt(i) === 10) start++;
  let end = start + 1;
  for (let i = index; i < index + length; i++) if (text.charCodeAt(i) === 10) end++;
  return [start, end];
}

export const MERGE_DISTANCE = 3;

/**
 * May an edit made against `base` be applied to `current`? Yes when every change between them lies
 * more than MERGE_DISTANCE lines away from the edit's region in the base.
 */
export function canMergeEdit(
  base: string,
  current: string,
  region: [number, number],
): { ok: boolean; hunks: Hunk[] } {
  const hunks = diffLines(splitLines(base), splitLines(current));
  const [s, e] = region;
  const ok = hunks.every((h) => h.aEnd + MERGE_DISTANCE < s || h.aStart > e - 1 + MERGE_DISTANCE);
  return { ok, hunks };
}

/** A short description of changes for RevisionConflict replies. */
export function describeHunks(hunks: Hunk[]): string[] {
  return hunks.slice(0, 20).map((h) => {
    const a = h.aEnd > h.aStart ? `lines ${h.aStart + 1}-${h.aEnd}` : `after line ${h.aStart}`;
    const b = h.bEnd - h.bStart;
    return `${a} → ${b} line${b === 1 ? "" : "s"} (now ${h.bStart + 1}-${h.bEnd})`;
  });
}
