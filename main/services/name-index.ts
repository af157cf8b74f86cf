/**
 * The names of one roster import, held in memory by the main process for the search as the
 * operator types: each distinct word of three letters or more with the bookings whose name
 * holds it. It answers which names hold every query word as a substring, in roster order,
 * without reading the roster's names from the store per search.
 */

/** Bookings in a roster import are at most this many per word list scan before the mark array is scanned instead. */
const SORT_AT_MOST = 2048;

/** At most this many query words: the marks are bytes. */
const MAX_GROUPS = 250;

/** Memoized substring and typo look-ups per index (operators retype the same words); cleared when full. */
const MEMO_SIZE = 4096;

export function hasThreeLetters(word: string): boolean {
  return word.length >= 6 || (word.length >= 3 && [...word].length >= 3);
}

const encoder = new TextEncoder();

/**
 * Strings kept as UTF-8 in one growing buffer rather than as 100,000 string objects: the
 * garbage collector then has little to copy or mark while an index is built and held.
 */
class TextColumn {
  private bytes = Buffer.allocUnsafe(1 << 16);
  private ends = new Int32Array(1 << 12);
  private used = 0;
  private count = 0;

  push(s: string): void {
    if (this.used + s.length * 3 > this.bytes.length) {
      const bigger = Buffer.allocUnsafe(Math.max(this.bytes.length * 2, this.used + s.length * 3));
      this.bytes.copy(bigger, 0, 0, this.used);
      this.bytes = bigger;
    }
    if (this.count === this.ends.length) {
      const bigger = new Int32Array(this.ends.length * 2);
      bigger.set(this.ends);
      this.ends = bigger;
    }
    this.used += encoder.encodeInto(s, this.bytes.subarray(this.used)).written;
    this.ends[this.count++] = this.used;
  }

  get(i: number): string {
    return this.bytes.toString('utf8', i === 0 ? 0 : this.ends[i - 1], this.ends[i]);
  }
}

export class NameIndex {
  /** booking rowids in roster order (ascending); a booking's position is its index here */
  private readonly rowids: number[] = [];
  private readonly names = new TextColumn();
  private readonly norms = new TextColumn();
  /** word -> positions of the bookings whose name holds it, ascending; keys in roster order of first use */
  private readonly postings = new Map<string, number[]>();
  private wordList: string[] | null = null;
  private marks: Uint8Array | null = null;
  /** the positions one match marked (grows, kept) */
  private touched = new Int32Array(1024);
  private readonly containing = new Map<string, number[][]>();
  /** typo alternatives already worked out, by query word */
  readonly memo = new Map<string, string[]>();

  constructor(
    readonly importId: number,
    /** what the roster looked like when the build began (see search.ts) */
    public stamp: string,
  ) {}

  add(rowid: number, name: string, nameNorm: string): void {
    const pos = this.rowids.length;
    this.rowids.push(rowid);
    this.names.push(name);
    this.norms.push(nameNorm);
    for (const w of nameNorm.split(' ')) {
      if (!hasThreeLetters(w)) continue;
      const list = this.postings.get(w);
      if (list === undefined) this.postings.set(w, [pos]);
      else if (list[list.length - 1] !== pos) list.push(pos);
    }
  }

  /** The booking at a position: its rowid, its name and its normalized name. */
  rowid(pos: number): number {
    return this.rowids[pos]!;
  }

  name(pos: number): string {
    return this.names.get(pos);
  }

  norm(pos: number): string {
    return this.norms.get(pos);
  }

  /** The distinct words of the names (three letters or more), in roster order of first use. */
  get words(): string[] {
    this.wordList ??= [...this.postings.keys()];
    return this.wordList;
  }

  /**
   * Positions of the bookings whose name contains, for every group, at least one of its words,
   * the first `limit` in roster order; null when the query has too many words for this index.
   */
  match(groups: readonly (readonly string[])[], limit: number): number[] | null {
    if (groups.length > MAX_GROUPS) return null;
    const perGroup = groups.map((g) => this.listsContaining(g));
    if (perGroup.some((lists) => lists.length === 0)) return [];
    const size = (lists: number[][]) => lists.reduce((n, l) => n + l.length, 0);
    perGroup.sort((a, b) => size(a) - size(b));
    const marks = (this.marks ??= new Uint8Array(this.rowids.length));
    // the positions marked, in a buffer kept between searches: a common three letters ("sha")
    // touch tens of thousands of bookings, and a new array each time kept the collector busy
    let touched = this.touched;
    let n = 0;
    for (const list of perGroup[0]!) {
      for (const p of list) {
        if (marks[p] === 0) {
          marks[p] = 1;
          if (n === touched.length) {
            const bigger = new Int32Array(touched.length * 2);
            bigger.set(touched);
            touched = this.touched = bigger;
          }
          touched[n++] = p;
        }
      }
    }
    for (let g = 1; g < perGroup.length; g++) {
      for (const list of perGroup[g]!) for (const p of list) if (marks[p] === g) marks[p] = g + 1;
    }
    const all = perGroup.length;
    const out: number[] = [];
    if (n <= SORT_AT_MOST) {
      for (let i = 0; i < n; i++) if (marks[touched[i]!] === all) out.push(touched[i]!);
      out.sort((a, b) => a - b);
      if (out.length > limit) out.length = limit;
    } else {
      for (let p = 0; p < marks.length && out.length < limit; p++) if (marks[p] === all) out.push(p);
    }
    for (let i = 0; i < n; i++) marks[touched[i]!] = 0;
    return out;
  }

  /** The word lists of every word holding one of `words` as a substring. */
  private listsContaining(words: readonly string[]): number[][] {
    const key = words.join(' ');
    let lists = this.containing.get(key);
    if (lists === undefined) {
      lists = [];
      for (const [w, list] of this.postings) if (words.some((q) => w.includes(q))) lists.push(list);
      if (this.containing.size >= MEMO_SIZE) this.containing.clear();
      this.containing.set(key, lists);
    }
    return lists;
  }

  remember(key: string, alternatives: string[]): void {
    if (this.memo.size >= MEMO_SIZE) this.memo.clear();
    this.memo.set(key, alternatives);
  }
}
