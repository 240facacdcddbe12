/**
 * Per-cell Pearson correlation as the study computes it (ldvae-spec 7): row-centred dot product
 * over the product of norms, in float64, with no epsilon. A constant vector on either side gives
 * NaN (0/0), exactly like numpy; callers count those cells instead of hiding them.
 */
export function pearson(a: ArrayLike<number>, b: ArrayLike<number>): number {
  const n = a.length;
  if (n !== b.length) throw new RangeError(`pearson: lengths differ (${n} vs ${b.length})`);
  if (n === 0) return NaN;
  let ma = 0;
  let mb = 0;
  for (let i = 0; i < n; i++) {
    ma += a[i]!;
    mb += b[i]!;
  }
  ma /= n;
  mb /= n;
  let sab = 0;
  let saa = 0;
  let sbb = 0;
  for (let i = 0; i < n; i++) {
    const da = a[i]! - ma;
    const db = b[i]! - mb;
    sab += da * db;
    saa += da * da;
    sbb += db * db;
  }
  const den = Math.sqrt(saa) * Math.sqrt(sbb);
  return den === 0 ? NaN : sab / den;
}

/** Spearman rank correlation: Pearson of average ranks (ties share their mean rank). NaN pairs dropped. */
export function spearman(a: ArrayLike<number>, b: ArrayLike<number>): number {
  const xs: number[] = [];
  const ys: number[] = [];
  for (let i = 0; i < a.length; i++) {
    if (Number.isFinite(a[i]!) && Number.isFinite(b[i]!)) {
      xs.push(a[i]!);
      ys.push(b[i]!);
    }
  }
  return pearson(averageRanks(xs), averageRanks(ys));
}

/** Ranks 1..n with ties averaged (scipy.stats.rankdata 'average'). */
export function averageRanks(v: ArrayLike<number>): Float64Array {
  const n = v.length;
  const order = Array.from({ length: n }, (_, i) => i).sort((i, j) => v[i]! - v[j]! || i - j);
  const ranks = new Float64Array(n);
  for (let s = 0; s < n; ) {
    let e = s;
    while (e + 1 < n && v[order[e + 1]!] === v[order[s]!]) e++;
    const r = (s + e) / 2 + 1;
    for (let k = s; k <= e; k++) ranks[order[k]!] = r;
    s = e + 1;
  }
  return ranks;
}
